/**
 * `npm run bench`: synthesizes generated stacks of 10, 100 and 1000 services
 * × stage and prod and prints wall time, CPU time and peak RSS of gitops-synth
 * (with and without kubectl kustomize) beside the baselines measured in the
 * same run: all services as Charts of one cdk8s App (the plain cdk8s
 * approach), and the same objects serialized straight to YAML files (the
 * floor; also with the yaml library's stringify). Every measurement is a
 * fresh process (bench/child.ts); sizes and modes run one after another.
 * The full synth runs cold (empty caches of kustomize builds and of rendered
 * folders), then warm over its own output with the caches it filled (same
 * stack: nothing is rendered or built again), then warm with one service
 * changed (that service's folders are rendered and built). The synth without
 * kustomize always runs cold.
 *
 *   npm run bench -- [--sizes 10,100,1000] [--runs 1] [--json out.json]
 *                    [--skip-cdk8s | --cdk8s-max 100] [--no-kustomize]
 *                    [--cpu-prof dir] [--keep]
 *
 * --runs N        median of N runs per cell
 * --skip-cdk8s    no one-App cdk8s baseline (--cdk8s-max N: only up to N services)
 * --no-kustomize  no full synth, cold or warm (the part without kubectl is always measured)
 * --cpu-prof DIR  a V8 CPU profile of every measured process
 * --keep          keep the generated stacks and outputs
 *
 *   npm run bench -- --race [--publishers 4] [--rounds 20] [--write-backs 20] [--keep]
 *
 * --race          instead: publishers racing for one devops branch through the real CLI while
 *                 Image Updater write-backs land (bench/race.ts); exit 1 unless 0 failed, 0 lost, 0 forced
 * TMPDIR=/dev/shm puts stacks and outputs on tmpfs (takes the disk out).
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize } from 'node:v8';
import type { ChildMode, ChildReport } from './child.js';
import { toolPath } from '../src/validate/tools.js';
import { benchRace } from './race.js';
import { BENCH_ENVIRONMENTS, changeOneService, generateStack } from './stack.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'child.js');
const GNU_TIME = '/usr/bin/time';

interface Options {
  sizes: number[];
  runs: number;
  json?: string;
  cdk8sMax: number;
  kustomize: boolean;
  cpuProf?: string;
  keep: boolean;
}

type Mode = Exclude<ChildMode, 'dump'> | 'synth-warm' | 'synth-warm-one-changed';
const MODE_LABELS: Record<Mode, string> = {
  floor: 'floor: objects → YAML files',
  'floor-yaml-library': 'floor with the yaml library',
  'synth-no-kustomize': 'gitops-synth without kustomize',
  synth: 'gitops-synth synth (full, cold)',
  'synth-warm': 'gitops-synth synth (full, warm, unchanged)',
  'synth-warm-one-changed': 'gitops-synth synth (full, warm, 1 service changed)',
  'cdk8s-one-app': 'plain cdk8s: one App',
};
/** The child process each mode runs: the warm modes are the full synth with a filled cache. */
const CHILD_MODE: Record<Mode, ChildMode> = {
  floor: 'floor',
  'floor-yaml-library': 'floor-yaml-library',
  'synth-no-kustomize': 'synth-no-kustomize',
  synth: 'synth',
  'synth-warm': 'synth',
  'synth-warm-one-changed': 'synth',
  'cdk8s-one-app': 'cdk8s-one-app',
};

interface Measurement {
  readonly services: number;
  readonly environments: number;
  readonly mode: Mode;
  /** Median wall time over the runs, as the parent saw it (process start to exit), ms. */
  readonly wallMs: number;
  /** CPU time (user + system) of the run with the median wall time, kubectl included when GNU time is there, ms. */
  readonly cpuMs: number;
  /** Peak RSS of the Node process of that run, MiB. */
  readonly peakRssMiB: number;
  /** Peak RSS of the process tree's largest process (Node or kubectl), MiB, when GNU time is there. */
  readonly peakRssAnyMiB?: number;
  readonly phases: Record<string, number>;
  readonly files: number;
  readonly runs: number[];
  /** Folders the full synth's runs built with kubectl (new entries in the cache of kustomize builds), per run. */
  readonly kustomizeBuilt?: number[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sizes: [10, 100, 1000], runs: 1, cdk8sMax: Infinity, kustomize: true, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--sizes')
      o.sizes = value()
        .split(',')
        .map((s) => positive(s, a));
    else if (a === '--runs') o.runs = positive(value(), a);
    else if (a === '--json') o.json = resolve(value());
    else if (a === '--skip-cdk8s') o.cdk8sMax = 0;
    else if (a === '--cdk8s-max') o.cdk8sMax = positive(value(), a);
    else if (a === '--no-kustomize') o.kustomize = false;
    else if (a === '--cpu-prof') o.cpuProf = resolve(value());
    else if (a === '--keep') o.keep = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(
        `${readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .match(/\/\*\*([\s\S]*?)\*\//)![1]!
          .replace(/^ \* ?/gm, '')
          .trim()}\n`,
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}; see --help`);
  }
  return o;
}

function positive(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a whole number of at least 1, got ${s}`);
  return n;
}

/** Runs one child process and measures it from outside. */
function measureOnce(
  mode: ChildMode,
  project: string,
  out: string,
  dump: string,
  cpuProf?: string,
  env: NodeJS.ProcessEnv = {},
): { wallMs: number; cpuMs: number; rssAnyKiB?: number; report: ChildReport } {
  const nodeArgs = cpuProf && mode !== 'dump' ? [`--cpu-prof`, `--cpu-prof-dir=${cpuProf}`] : [];
  const childArgs = [...nodeArgs, CHILD, mode, project, out, dump];
  const timeFile = `${out}.time`;
  const useTime = existsSync(GNU_TIME);
  const [cmd, args] = useTime
    ? [GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, process.execPath, ...childArgs]]
    : [process.execPath, childArgs];
  const started = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, ...env } });
  const wallMs = performance.now() - started;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`bench child ${mode} failed (exit ${r.status}):\n${r.stderr}`);
  const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildReport;
  let cpuMs = report.cpuMs;
  let rssAnyKiB: number | undefined;
  if (useTime) {
    const [user, sys, maxKiB] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    cpuMs = (user! + sys!) * 1000;
    rssAnyKiB = maxKiB;
    rmSync(timeFile, { force: true });
  }
  return { wallMs, cpuMs, rssAnyKiB, report };
}

function measure(mode: Mode, services: number, dir: string, dump: string, options: Options): Measurement {
  const runs: { wallMs: number; cpuMs: number; rssAnyKiB?: number; report: ChildReport }[] = [];
  const built: number[] = [];
  const project = join(dir, 'project');
  for (let i = 0; i < options.runs; i++) {
    // A fresh folder per run, nothing deleted until the end: on a disk that discards deleted blocks,
    // deleting thousands of files slows the writes that follow, which would bias the next measurement.
    // The warm runs synthesize over the output of the first cold run, with its cache, as a second `synth` would.
    const warm = mode === 'synth-warm' || mode === 'synth-warm-one-changed';
    const out = join(dir, warm ? 'out-synth-0' : `out-${mode}-${i}`);
    const cache = {
      GITOPS_SYNTH_KUSTOMIZE_CACHE: '1',
      GITOPS_SYNTH_KUSTOMIZE_CACHE_DIR: join(dir, warm ? 'kustomize-cache-0' : `kustomize-cache-${i}`),
    };
    // Every cold run renders every folder (an empty render cache of its own); the warm runs use the one the first full synth filled.
    const renderCache = {
      GITOPS_SYNTH_RENDER_CACHE: '1',
      GITOPS_SYNTH_RENDER_CACHE_DIR: join(dir, `render-cache-${CHILD_MODE[mode]}-${warm ? 0 : i}`),
    };
    // A different edit each run, so each finds exactly one service that no earlier run built.
    const restore = mode === 'synth-warm-one-changed' ? changeOneService(project, `run-${i}`) : undefined;
    const entriesBefore = cacheEntries(cache.GITOPS_SYNTH_KUSTOMIZE_CACHE_DIR);
    settleDisk();
    try {
      runs.push(
        measureOnce(
          CHILD_MODE[mode],
          project,
          out,
          dump,
          options.cpuProf && join(options.cpuProf, String(services), mode),
          CHILD_MODE[mode] === 'synth' ? { ...cache, ...renderCache } : renderCache,
        ),
      );
    } finally {
      restore?.();
    }
    if (CHILD_MODE[mode] === 'synth')
      built.push(
        [...cacheEntries(cache.GITOPS_SYNTH_KUSTOMIZE_CACHE_DIR)].filter((key) => !entriesBefore.has(key)).length,
      );
  }
  const median = [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(runs.length / 2)]!;
  return {
    services,
    environments: BENCH_ENVIRONMENTS.length,
    mode,
    wallMs: median.wallMs,
    cpuMs: median.cpuMs,
    peakRssMiB: median.report.maxRssKiB / 1024,
    peakRssAnyMiB: median.rssAnyKiB === undefined ? undefined : median.rssAnyKiB / 1024,
    phases: median.report.phases,
    files: median.report.files,
    runs: runs.map((r) => Math.round(r.wallMs)),
    kustomizeBuilt: built.length ? built : undefined,
  };
}

/** The keys of the entries in a cache of kustomize builds (one per folder kubectl built successfully), read from its stores' shards. */
function cacheEntries(dir: string): Set<string> {
  const keys = new Set<string>();
  if (!existsSync(dir)) return keys;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('.v8'))
      for (const key of (
        deserialize(readFileSync(join(e.parentPath, e.name))) as { entries: Map<string, unknown> }
      ).entries.keys())
        keys.add(key);
  }
  return keys;
}

/** Flushes what earlier steps wrote, so that a measurement does not pay for them. */
function settleDisk(): void {
  spawnSync('sync', { stdio: 'ignore' });
}

/** Every file below `dir` by relative path, for checking that two modes wrote the same bytes. */
function treeOf(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(relative(dir, full), readFileSync(full));
    }
  };
  walk(dir);
  return files;
}

function sameTree(a: string, b: string): boolean {
  const ta = treeOf(a);
  const tb = treeOf(b);
  if (ta.size !== tb.size) return false;
  for (const [p, content] of ta) if (!tb.get(p)?.equals(content)) return false;
  return true;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}×` : '–');

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 || i === 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(headers),
    `|${widths.map((w, i) => (i < 2 ? `${'-'.repeat(w + 2)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

function report(results: Measurement[], options: Options, checks: string[]): string {
  const find = (n: number, m: Mode) => results.find((r) => r.services === n && r.mode === m);
  const out: string[] = [];
  out.push(
    `gitops-synth bench: Node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), ${options.runs === 1 ? 'one run' : `median of ${options.runs} runs`} per cell`,
    `CPU = user + system time of the process tree (kubectl included)${existsSync(GNU_TIME) ? '' : ' — GNU time is missing: Node process only'}; peak RSS = the Node process.`,
    '',
  );
  const rows: string[][] = [];
  for (const n of options.sizes) {
    for (const m of Object.keys(MODE_LABELS) as Mode[]) {
      const r = find(n, m);
      if (!r) continue;
      const floor = find(n, 'floor');
      const libraryFloor = find(n, 'floor-yaml-library');
      const oneApp = find(n, 'cdk8s-one-app');
      rows.push([
        `${n} × ${r.environments}`,
        MODE_LABELS[m],
        s(r.wallMs),
        s(r.cpuMs),
        `${r.peakRssMiB.toFixed(0)} MiB`,
        ratio(r.wallMs, floor?.wallMs),
        ratio(r.wallMs, libraryFloor?.wallMs),
        ratio(r.wallMs, oneApp?.wallMs),
      ]);
    }
  }
  out.push(
    table(
      ['services × envs', 'mode', 'wall', 'CPU', 'peak RSS', '× floor', '× yaml-library floor', '× cdk8s one App'],
      rows,
    ),
    '',
  );

  // Linear growth: each added service×env costs the same at every size (startup makes the first step look cheaper).
  const steps = options.sizes.slice(1).map((b, i) => [options.sizes[i]!, b] as const);
  const growth: string[][] = [];
  for (const m of Object.keys(MODE_LABELS) as Mode[]) {
    const factors: string[] = [];
    const marginals: number[] = [];
    for (const [a, b] of steps) {
      const [ra, rb] = [find(a, m), find(b, m)];
      if (!ra || !rb) continue;
      factors.push(`${(rb.wallMs / ra.wallMs).toFixed(1)}×`);
      marginals.push((rb.wallMs - ra.wallMs) / ((b - a) * rb.environments));
    }
    if (factors.length !== steps.length) continue;
    const last = marginals.length > 1 ? ratio(marginals[marginals.length - 1]!, marginals[marginals.length - 2]) : '–';
    growth.push([MODE_LABELS[m], ...factors, ...marginals.map((x) => `${x.toFixed(2)} ms`), last]);
  }
  if (growth.length) {
    const heads = [
      'mode',
      ...steps.map(([a, b]) => `wall ${a}→${b}`),
      ...steps.map(([a, b]) => `per added svc×env ${a}→${b}`),
      'last/previous',
    ];
    out.push(
      'Growth: wall-time factor per step; wall time each added service×environment costs; a last/previous ratio near 1× means linear.',
      '',
      table(heads, growth),
      '',
    );
  }

  const phaseRows: string[][] = [];
  for (const r of results.filter(
    (x) => CHILD_MODE[x.mode] === 'synth' || x.mode === 'synth-no-kustomize' || x.mode === 'cdk8s-one-app',
  )) {
    phaseRows.push([
      `${r.services} × ${r.environments}`,
      MODE_LABELS[r.mode],
      Object.entries(r.phases)
        .map(([k, v]) => `${k} ${Math.round(v)}`)
        .join(', '),
    ]);
  }
  if (phaseRows.length)
    out.push(
      'Where the time goes (ms inside the process; module loading and process start are the rest of the wall time):',
      '',
      table(['services × envs', 'mode', 'stages'], phaseRows),
      '',
    );
  out.push(...checks);
  return out.join('\n');
}

/** Generates the stack of `n` services and measures every mode on it, one after another. */
function benchSize(n: number, dir: string, options: Options, results: Measurement[], checks: string[]): void {
  generateStack(join(dir, 'project'), n);
  const dump = join(dir, 'objects.json');
  measureOnce('dump', join(dir, 'project'), join(dir, 'unused'), dump, undefined, { GITOPS_SYNTH_RENDER_CACHE: '0' });
  const modes: Mode[] = ['floor', 'floor-yaml-library', 'synth-no-kustomize'];
  if (options.kustomize) modes.push('synth', 'synth-warm', 'synth-warm-one-changed');
  if (n <= options.cdk8sMax) modes.push('cdk8s-one-app');
  for (const m of modes) {
    process.stderr.write(`bench: ${n} services × ${BENCH_ENVIRONMENTS.length} environments: ${MODE_LABELS[m]}...`);
    const r = measure(m, n, dir, dump, options);
    results.push(r);
    process.stderr.write(` ${s(r.wallMs)}\n`);
    if (r.kustomizeBuilt)
      checks.push(
        `${n} × ${BENCH_ENVIRONMENTS.length}: ${MODE_LABELS[m]}: kubectl kustomize built ${r.kustomizeBuilt.join(', ')} folders (per run).`,
      );
    if (m === 'synth-warm') {
      // Built from the cache or not, synth writes the same bytes.
      const sameWarm = sameTree(join(dir, 'out-synth-0'), join(dir, 'out-synth-no-kustomize-0'));
      checks.push(
        `${n} × ${BENCH_ENVIRONMENTS.length}: the warm synth wrote ${sameWarm ? 'the same bytes as' : 'DIFFERENT bytes from'} the synth without kustomize.`,
      );
      if (!sameWarm) process.exitCode = 1;
    }
  }
  const same = ['floor', 'floor-yaml-library'].every((m) =>
    sameTree(join(dir, `out-${m}-0`), join(dir, 'out-synth-no-kustomize-0')),
  );
  checks.push(
    `${n} × ${BENCH_ENVIRONMENTS.length}: both floors wrote ${same ? 'the same bytes as' : 'DIFFERENT bytes from'} gitops-synth (${results.find((r) => r.services === n && r.mode === 'floor')!.files} files).`,
  );
  if (!same) process.exitCode = 1;
}

async function main(): Promise<void> {
  if (process.argv.includes('--race')) {
    process.exitCode = await benchRace(process.argv.slice(2), join(HERE, '..', '..', 'bin', 'gitops-synth.js'));
    return;
  }
  const options = parseArgs(process.argv.slice(2));
  const results: Measurement[] = [];
  const checks: string[] = [];
  // Unpack kubectl before the first measurement (a fresh clone has not done it yet).
  if (options.kustomize) toolPath('kubectl');
  const started = performance.now();
  const dirs: string[] = [];
  try {
    for (const n of options.sizes) {
      const dir = mkdtempSync(join(tmpdir(), `gitops-synth-bench-${n}-`));
      dirs.push(dir);
      benchSize(n, dir, options, results, checks);
    }
  } finally {
    for (const dir of dirs) {
      if (options.keep) process.stderr.write(`bench: kept ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    }
  }
  checks.push(
    `Total bench time ${s(performance.now() - started)}.${options.cpuProf ? ` CPU profiles in ${options.cpuProf}/<size>/<mode>/.` : ''}`,
  );
  process.stdout.write(`${report(results, options, checks)}\n`);
  if (options.json) {
    mkdirSync(dirname(options.json), { recursive: true });
    writeFileSync(
      options.json,
      `${JSON.stringify({ node: process.version, cpus: availableParallelism(), runs: options.runs, results }, null, 2)}\n`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
});
