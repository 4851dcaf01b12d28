#!/usr/bin/env node
// Entry point of the CLI: runs the compiled TypeScript (its bundle), compiling and bundling it first when src/ changed.
import { existsSync } from 'node:fs';
import { BUNDLE, ensureBuild } from './ensure-build.js';

ensureBuild();
// The bundle when there is one (ensure-build.js), else the modules as tsc wrote them.
const bundled = new URL(`../build/src/${BUNDLE}/main.js`, import.meta.url);
const { main } = await import(existsSync(bundled) ? bundled.href : '../build/src/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
