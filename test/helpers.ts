import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { afterEach } from 'vitest';
import { formatProblem, SpecError } from '../src/spec/errors.js';

/** The repository root (where package.json is). */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(REPO, 'bin', 'gitops-synth.js');

const made: string[] = [];
afterEach(() => {
  while (made.length) rmSync(made.pop()!, { recursive: true, force: true });
});

/** A temporary folder removed after the current test. */
export function tempDir(prefix = 'gitops-synth-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** A copy of a shipped example project (apps/ and environments/, without dist/) in a temporary folder. */
export function copyExample(example: string = REPO): string {
  const dir = tempDir('gitops-synth-project-');
  for (const part of ['apps', 'environments']) cpSync(join(example, part), join(dir, part), { recursive: true });
  return dir;
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real CLI as a separate process, as a user would. */
export function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    input: options.input,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Every file below `dir` with its content, by relative path: for comparing whole trees byte for byte. */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out[relative(dir, full)] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/** Every shard file of the pack stores (src/util/pack-store.ts) below `dir`. */
function storeShards(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.v8'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Every entry of the pack stores below `dir`, by key, read straight from their shard files. */
export function storeEntries(dir: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const file of storeShards(dir)) {
    for (const [key, value] of (deserialize(readFileSync(file)) as { entries: Map<string, unknown> }).entries)
      out.set(key, value);
  }
  return out;
}

/** Rewrites the shard files of the pack stores below `dir`, each value replaced by what `edit` returns for it. */
export function editStoreEntries(dir: string, edit: (value: unknown, key: string) => unknown): void {
  for (const file of storeShards(dir)) {
    const shard = deserialize(readFileSync(file)) as { entries: Map<string, unknown> };
    for (const [key, value] of shard.entries) shard.entries.set(key, edit(value, key));
    writeFileSync(file, serialize(shard));
  }
}

/** The problems `run` throws a SpecError with, as the CLI prints them; none when it does not throw. */
export function specProblems(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof SpecError) return err.problems.map(formatProblem);
    throw err;
  }
  return [];
}
