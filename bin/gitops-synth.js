#!/usr/bin/env node
// Entry point of the CLI: runs the compiled TypeScript, compiling it first when src/ changed.
import { ensureBuild } from './ensure-build.js';

ensureBuild();
const { main } = await import('../build/src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
