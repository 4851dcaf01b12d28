import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { toolPath } from './tools.js';

/** A rendered folder to build, with the number of objects it must yield. */
export interface KustomizeFolder {
  readonly folder: string;
  readonly objects: number;
}

/**
 * Most objects one kubectl run builds. kubectl v1.28's kustomize spends
 * time quadratic in the objects of one build (100 service folders: 1.7 s of
 * CPU, 400: 32 s), and each run costs 0.1–0.2 s to start, so large
 * environments are built in runs of about this many objects.
 */
export const OBJECTS_PER_KUSTOMIZE_RUN = 256;

export interface KustomizeOptions {
  /** kubectl runs at the same time. @default the number of CPUs */
  readonly parallelism?: number;
}

/**
 * Builds rendered service folders with the real `kubectl kustomize`. The
 * folders of one environment are built through throw-away root
 * kustomizations of up to OBJECTS_PER_KUSTOMIZE_RUN objects, several runs at
 * once; two folders of one environment emitting the same object are caught
 * across runs. Returns the failures (empty when every folder built).
 */
export async function kustomizeBuildAll(root: string, folders: readonly KustomizeFolder[], options: KustomizeOptions = {}): Promise<string[]> {
  const byEnv = new Map<string, KustomizeFolder[]>();
  for (const f of folders) {
    const env = f.folder.split('/')[0]!;
    const list = byEnv.get(env);
    if (list) list.push(f);
    else byEnv.set(env, [f]);
  }
  const scratch = join(root, '.kustomize-check');
  try {
    const runs: { env: string; dir: string; objects: number }[] = [];
    const envs = [...byEnv.keys()].sort();
    for (const env of envs) {
      for (const [i, chunk] of chunks(byEnv.get(env)!).entries()) {
        const dir = join(scratch, env, String(i));
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'kustomization.yaml'), `resources:\n${chunk.map((f) => `- ../../../${f.folder}`).join('\n')}\n`);
        runs.push({ env, dir, objects: chunk.reduce((n, f) => n + f.objects, 0) });
      }
    }
    const kubectl = toolPath('kubectl');
    // Only the ids of the built objects are kept: the output of a large environment is tens of megabytes.
    const results = await inParallel(runs, options.parallelism ?? availableParallelism(), async (r) => {
      const { code, stdout, stderr } = await run(kubectl, ['kustomize', r.dir]);
      return { code, stderr, ids: code === 0 ? documents(stdout).map(objectId) : [] };
    });

    const failures: string[] = [];
    const done = runs.map((r, i) => ({ ...r, result: results[i]! }));
    for (const env of envs) {
      const mine = done.filter((r) => r.env === env);
      const errors = [...new Set(mine.filter((r) => r.result.code !== 0).map((r) => r.result.stderr.trim()))];
      if (errors.length) {
        for (const e of errors) failures.push(`kubectl kustomize failed for environment ${env}: ${e}`);
        continue;
      }
      const seen = new Set<string>();
      let built = 0;
      for (const r of mine) {
        for (const id of r.result.ids) {
          built++;
          if (seen.has(id)) failures.push(`kubectl kustomize built two objects with the same kind, namespace and name in environment ${env}: ${id}; each object must come from one service folder`);
          seen.add(id);
        }
      }
      const expected = mine.reduce((n, r) => n + r.objects, 0);
      if (built !== expected) failures.push(`kubectl kustomize built ${built} objects for environment ${env}, expected ${expected}`);
    }
    return failures;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Consecutive groups of folders with at most OBJECTS_PER_KUSTOMIZE_RUN objects (at least one folder each). */
function chunks(list: readonly KustomizeFolder[]): KustomizeFolder[][] {
  const out: KustomizeFolder[][] = [];
  let current: KustomizeFolder[] = [];
  let objects = 0;
  for (const f of list) {
    if (current.length && objects + f.objects > OBJECTS_PER_KUSTOMIZE_RUN) {
      out.push(current);
      current = [];
      objects = 0;
    }
    current.push(f);
    objects += f.objects;
  }
  if (current.length) out.push(current);
  return out;
}

interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Go's garbage collector at GOGC=200 instead of 100: kubectl kustomize then
 * spends about 20% less CPU for about 20 MB more memory per run. A GOGC the
 * user set wins.
 */
const KUBECTL_GOGC = '200';

function run(command: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { GOGC: KUBECTL_GOGC, ...process.env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** Maps `items` through `task` with at most `limit` tasks running; results in the order of `items`. */
async function inParallel<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

/** The documents of kubectl's multi-document output (separated by `---` lines). */
function documents(output: string): string[] {
  return output.split(/^---$/m).filter((d) => d.trim() !== '');
}

/**
 * `apiVersion kind namespace/name` of one object as kubectl prints it: its
 * top-level keys at column 0 and metadata's at column 2, so no full YAML
 * parse of megabytes of output is needed.
 */
function objectId(doc: string): string {
  let apiVersion = '';
  let kind = '';
  let name = '';
  let namespace = '';
  let inMetadata = false;
  for (const line of doc.split('\n')) {
    if (line === '') continue;
    if (line[0] !== ' ' && line[0] !== '-') {
      inMetadata = line === 'metadata:';
      if (line.startsWith('apiVersion: ')) apiVersion = line.slice('apiVersion: '.length);
      else if (line.startsWith('kind: ')) kind = line.slice('kind: '.length);
    } else if (inMetadata) {
      if (line.startsWith('  name: ')) name = line.slice('  name: '.length);
      else if (line.startsWith('  namespace: ')) namespace = line.slice('  namespace: '.length);
    }
  }
  return `${apiVersion} ${kind} ${namespace}/${name}`;
}

/** `kubectl kustomize <folder>` of one folder, for tests and `validate`. */
export function kustomizeBuild(folder: string): string {
  const r = spawnSync(toolPath('kubectl'), ['kustomize', folder], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`kubectl kustomize ${folder} failed: ${r.stderr.trim()}`);
  return r.stdout;
}
