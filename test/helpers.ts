import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatWithOptions } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { formatProblem, SpecError } from '../src/spec/errors.js';

/** The repository root (where package.json is). */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(REPO, 'bin', 'gitops-synth.js');

const made: string[] = [];

/** Removes the folders tempDir() made; test/each-file-setup.ts runs it after every test. */
export function removeTempDirs(): void {
  while (made.length) rmSync(made.pop()!, { recursive: true, force: true });
}

/** A temporary folder removed after the current test. */
export function tempDir(prefix = 'gitops-synth-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/**
 * `to` made a copy of the tree `from` whose files are hard links to the
 * originals: far cheaper than copying for a tree only read. A writer that
 * replaces files (gitops-synth renames new files into place) leaves the
 * originals as they are; one writing into a file in place would change both,
 * which a comparison with a snapshot taken before shows.
 */
export function linkTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const [source, target] = [join(from, entry.name), join(to, entry.name)];
    if (entry.isDirectory()) linkTree(source, target);
    else if (entry.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
    else linkSync(source, target);
  }
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

/**
 * Runs the real CLI as a separate process, as a user would: for what only a
 * process shows (stdin, signals, a crash at a fault point, the bin script).
 */
export function spawnCli(
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

/** Set while runCli runs: two runs at once would share the working folder, environment and output. */
const running: { args?: string[] } = {};

/**
 * Runs the CLI's own entry (`main` of src/cli/main.ts, what bin/gitops-synth.js
 * calls) in this test process with the given arguments, working folder and
 * environment, capturing what it writes to stdout and stderr. The same code a
 * user runs, without starting node and loading every module again for each
 * run (a spawned run costs about 0.4 s more); spawnCli is for what only a
 * separate process shows.
 */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  if (running.args) throw new Error(`runCli(${args.join(' ')}) while runCli(${running.args.join(' ')}) runs`);
  running.args = args;
  const { main } = await import('../src/cli/main.js');
  const env: NodeJS.ProcessEnv = { NO_COLOR: '1', ...options.env };
  const savedEnv = new Map(Object.keys(env).map((k) => [k, process.env[k]]));
  const savedCwd = process.cwd();
  let stdout = '';
  let stderr = '';
  const sink =
    (append: (text: string) => void) =>
    (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    };
  const toOut = (text: string): void => {
    stdout += text;
  };
  const toErr = (text: string): void => {
    stderr += text;
  };
  const line =
    (append: (text: string) => void) =>
    (...parts: unknown[]): void =>
      append(`${formatWithOptions({ colors: false }, ...parts)}\n`);
  const saved = {
    out: process.stdout.write,
    err: process.stderr.write,
    log: console.log,
    info: console.info,
    error: console.error,
    warn: console.warn,
  };
  process.stdout.write = sink(toOut) as typeof process.stdout.write;
  process.stderr.write = sink(toErr) as typeof process.stderr.write;
  console.log = line(toOut);
  console.info = line(toOut);
  console.error = line(toErr);
  console.warn = line(toErr);
  try {
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    process.chdir(options.cwd ?? REPO);
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    Object.assign(console, { log: saved.log, info: saved.info, error: saved.error, warn: saved.warn });
    process.chdir(savedCwd);
    for (const [k, v] of savedEnv) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    running.args = undefined;
  }
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
