import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { RenderedTree } from '../output/tree.js';
import { APPS_DIR, ENVIRONMENTS_DIR } from '../spec/layout.js';
import { cacheOn, cacheStoreDir } from '../util/caches.js';
import { codeIdentity } from '../util/code-identity.js';
import { PackStore } from '../util/pack-store.js';
import { entrySignature, outputState, RACY_MS, signatureTimes, type OutputState } from './proven-folders.js';

/**
 * The last synth of a project, remembered as make remembers a target: a
 * digest of every input it had (the spec files' bytes, gitops-synth's code
 * and installed packages, the folders and settings it ran with) and what
 * every entry of its output folder looked like when it ended (lstat: type,
 * size, modification and status change times, inode, mode). A synth with
 * the same inputs over an output that still looks exactly so would render,
 * check and write nothing, so the CLI answers it from here without loading
 * the specs' schemas, cdk8s or the renderers. Besides, the output's state
 * (OutputState in proven-folders.ts) lets the next run with other inputs
 * take unchanged service folders by their lstat.
 *
 * Only a run that succeeded is remembered. A file whose modification time is
 * within RACY_MS of the moment it was recorded could be changed again within
 * the same clock tick without its lstat changing (git's "racily clean"
 * entries): its bytes are remembered as a digest and read again to compare.
 * So are files whose status changed since the run began, which must hold
 * what the run wrote (rememberRun).
 * A work folder left beside the output by a killed write, GITOPS_SYNTH_FAULT,
 * or the `rendered` cache switched off (GITOPS_SYNTH_CACHE) always take the
 * full run.
 */

/**
 * What `synth` reports, as a run of these inputs reported it (see pipeline.ts
 * SynthResult); `markerDigest`, when present, names the ownership marker
 * the run wrote (markerDigest in proven-folders.ts), for the OutputState.
 */
export type RememberedResult = Record<string, unknown>;

interface RunRecord {
  readonly inputs: string;
  /** Digest of every entry below the output folder with its lstat signature (outputDigest). */
  readonly output: string;
  /** Entries modified within RACY_MS of the recording: relative path → sha256 of the bytes. */
  readonly racy: ReadonlyMap<string, string>;
  readonly result: RememberedResult;
}

/**
 * What a full run tells the record besides its result (SynthOptions.witness):
 * which files it took from the output as they were, and what it rendered.
 */
export interface RunWitness {
  /** The lstat the run took of each output file it took as it was, before relying on it (ProvenFolderOptions). */
  readonly observed: Map<string, string>;
  /** The tree the run wrote into the output; set when it ends. */
  rendered?: Pick<RenderedTree, 'get' | 'has'>;
}

/** The inputs of a run, once read: enough to look the run up, and to remember it when it succeeds. */
export interface RunInputs {
  /** The output folder (symbolic links resolved). */
  readonly outDir: string;
  /** Digest of every input. */
  readonly digest: string;
  readonly store: PackStore<RunRecord | OutputState>;
}

const FORMAT = 'gitops-synth run record 4';

/**
 * The inputs of a synth of `projectDir` into `outDir`, or undefined when the
 * run cannot be remembered (the cache is off, the code cannot be identified,
 * a spec entry is not a plain file, a killed write awaits completion).
 */
export function runInputs(
  projectDir: string,
  outDir: string,
  env: NodeJS.ProcessEnv = process.env,
): RunInputs | undefined {
  if (env.GITOPS_SYNTH_FAULT) return undefined;
  const opened = openRunStore(projectDir, outDir, env);
  if (opened === undefined) return undefined;
  const { code, project, out } = opened;
  // A killed write is completed by the next full run, never skipped.
  if (existsSync(join(dirname(out), `.gitops-synth-${basename(out)}-write`))) return undefined;
  const hash = createHash('sha256').update(`${FORMAT}\0${code}\0${project}\0${out}\0${homedir()}\0`);
  for (const name of ['GITOPS_SYNTH_CACHE', 'GITOPS_SYNTH_KUBECTL', 'GITOPS_SYNTH_HELM'])
    hash.update(`${name}=${env[name] ?? ''}\0`);
  for (const folder of [APPS_DIR, ENVIRONMENTS_DIR]) {
    const dir = join(project, folder);
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return undefined;
    }
    for (const name of names) {
      const stat = lstatSync(join(dir, name), { throwIfNoEntry: false });
      // Anything but a plain file (a link, a folder, a pipe) is the full run's to judge.
      if (!stat?.isFile()) return undefined;
      hash
        .update(`${folder}/${name}\0`)
        .update(readFileSync(join(dir, name)))
        .update('\0');
    }
  }
  return { outDir: out, digest: hash.digest('hex'), store: opened.store };
}

/**
 * The store of run records of the project, with the code's identity and
 * the project and output folders by their real paths (the same store and
 * keys whichever way they were named); undefined when the `rendered` cache
 * is off or the code or folders cannot be identified.
 */
function openRunStore(
  projectDir: string,
  outDir: string,
  env: NodeJS.ProcessEnv,
): { store: PackStore<RunRecord | OutputState>; code: string; project: string; out: string } | undefined {
  if (!cacheOn('rendered', env)) return undefined;
  const code = codeIdentity();
  if (code === undefined) return undefined;
  let project: string;
  let out: string;
  try {
    project = realpathSync(projectDir);
    out = existsSync(outDir) ? realpathSync(outDir) : join(realpathSync(dirname(outDir)), basename(outDir));
  } catch {
    return undefined;
  }
  const storeDir = cacheStoreDir('runs', project, env);
  if (storeDir === null) return undefined;
  return { store: PackStore.open(storeDir, { format: FORMAT, code }), code, project, out };
}

/**
 * What the last run with these inputs reported, when the output still holds
 * exactly what it left; undefined otherwise. `refresh`: files were compared
 * by their bytes (racy ones), so remembering the run again spares the next
 * one that.
 */
export function rememberedRun(inputs: RunInputs): { result: RememberedResult; refresh: boolean } | undefined {
  // Kept under the digest of its inputs: a run with other inputs looks up another key and finds none.
  const record = inputs.store.lookup(inputs.digest);
  if (record === undefined || !('inputs' in record) || record.inputs !== inputs.digest) return undefined;
  const entries = scanEntries(inputs.outDir);
  if (entries === undefined || outputDigest(entries) !== record.output) return undefined;
  for (const [path, digest] of record.racy) if (fileDigest(join(inputs.outDir, path)) !== digest) return undefined;
  return { result: record.result, refresh: record.racy.size > 0 };
}

/**
 * A synth as the CLI runs it: answered from the record of the last run when
 * its inputs and output are those it left (`fromRecord`), else `fullRun()`,
 * which is remembered when it succeeds. `onPhase('record', ms)` reports the
 * time spent looking the run up and remembering it.
 */
export async function withRunRecord<T extends object>(
  projectDir: string,
  outDir: string,
  fullRun: (witness: RunWitness) => Promise<T>,
  onPhase?: (phase: 'record', ms: number) => void,
): Promise<{ result: T; fromRecord: boolean }> {
  let started = performance.now();
  const inputs = runInputs(projectDir, outDir);
  const remembered = inputs && rememberedRun(inputs);
  onPhase?.('record', performance.now() - started);
  const startedAt = Date.now();
  const witness: RunWitness = { observed: new Map() };
  const result = remembered ? (remembered.result as T) : await fullRun(witness);
  started = performance.now();
  if (inputs && (!remembered || remembered.refresh))
    rememberRun(inputs, result as RememberedResult, { startedAt, witness });
  onPhase?.('record', performance.now() - started);
  return { result, fromRecord: remembered !== undefined };
}

/**
 * Remembers a run that succeeded with `inputs`, as its output is now, and
 * the OutputState for the next run with other inputs.
 *
 * A file modified within RACY_MS of now is remembered by its bytes. So is
 * one whose status changed after the run began (or within RACY_MS before),
 * unless the run took it as it was, and a file of the render among those
 * must hold what the run wrote: one edited while the run worked leaves the
 * run unremembered, so the next one is the full run and puts the render
 * back.
 */
export function rememberRun(
  inputs: RunInputs,
  result: RememberedResult,
  run: {
    /** When the run began (ms since the epoch). @default now */
    readonly startedAt?: number;
    /**
     * What the full run saw and wrote. Files it took as they were keep the
     * lstat it took (instead of another): a file changed since then no
     * longer matches the record, so the next run is the full one.
     * @default none: an answer from the record, refreshed
     */
    readonly witness?: RunWitness;
  } = {},
): void {
  const now = Date.now();
  const entries = scanEntries(inputs.outDir, run.witness?.observed);
  if (entries === undefined) return;
  const settled = Math.min(now, run.startedAt ?? now) - RACY_MS;
  const rendered = run.witness?.rendered;
  const taken = run.witness?.observed;
  const racy = new Map<string, string>();
  for (const [path, signature] of entries) {
    if (!signature.startsWith('f')) continue;
    const { modified, changed } = signatureTimes(signature);
    const recent = !(modified < now - RACY_MS);
    // A file taken as it was keeps the lstat from before the run relied on it: a change since shows then.
    const changedInRun = !taken?.has(path) && !(changed < settled);
    if (!recent && !changedInRun) continue;
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(inputs.outDir, path));
    } catch {
      return;
    }
    if (changedInRun && rendered?.has(path) && !holds(bytes, rendered, path)) return;
    racy.set(path, createHash('sha256').update(bytes).digest('hex'));
  }
  inputs.store.record(inputs.digest, { inputs: inputs.digest, output: outputDigest(entries), racy, result });
  const state =
    typeof result.markerDigest === 'string'
      ? outputState(inputs.outDir, entries, result.markerDigest, run.startedAt ?? now)
      : undefined;
  if (state) inputs.store.record(outputStateKey(inputs.outDir), state);
  // Only the record just made was used: the one before it goes.
  inputs.store.save();
}

/**
 * Every entry below `dir` with its lstat signature (`observed` ones for the
 * plain files it names); undefined when it cannot be read whole.
 */
function scanEntries(dir: string, observed?: ReadonlyMap<string, string>): Map<string, string> | undefined {
  const out = new Map<string, string>();
  // By hand rather than readdirSync's recursive option, which costs a third more on Node 20.
  const walk = (abs: string, rel: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = `${abs}/${entry.name}`;
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const seen = entry.isFile() ? observed?.get(relPath) : undefined;
      if (seen !== undefined) {
        out.set(relPath, seen);
        continue;
      }
      const stat = lstatSync(path);
      out.set(relPath, entrySignature(stat));
      if (stat.isDirectory()) walk(path, relPath);
    }
  };
  try {
    if (existsSync(dir)) walk(dir, '');
  } catch {
    return undefined;
  }
  return out;
}

/** One digest of every entry and its signature, in path order: a record holds it, not 16 000 entries. */
function outputDigest(entries: ReadonlyMap<string, string>): string {
  const hash = createHash('sha256');
  for (const path of [...entries.keys()].sort()) hash.update(`${path}\0${entries.get(path)}\n`);
  return hash.digest('hex');
}

/** Where the OutputState of the output folder `outDir` (symbolic links resolved) is kept. */
function outputStateKey(outDir: string): string {
  return createHash('sha256').update(`output state\0${outDir}`).digest('hex');
}

/**
 * What the output folder `outDir` of the project in `projectDir` held when
 * the last successful synth into it ended (OutputState), if it is remembered.
 */
export function lastOutputState(
  projectDir: string,
  outDir: string,
  env: NodeJS.ProcessEnv = process.env,
): OutputState | undefined {
  const opened = openRunStore(projectDir, outDir, env);
  const value = opened?.store.lookup(outputStateKey(opened.out));
  return value !== undefined && 'marker' in value ? value : undefined;
}

/** Whether `bytes` are what `rendered` holds at `path` (false when that can no longer be read as it was). */
function holds(bytes: Buffer, rendered: Pick<RenderedTree, 'get'>, path: string): boolean {
  try {
    return bytes.equals(Buffer.from(rendered.get(path) ?? '', 'utf8'));
  } catch {
    return false;
  }
}

function fileDigest(path: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
}
