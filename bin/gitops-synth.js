#!/usr/bin/env node
// Entry point of the installed CLI: runs the compiled TypeScript (built by `npm install` through `prepare`).
import { main } from '../build/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
