/**
 * `npm run bench`: gitops-synth's synth of generated stacks of N services ×
 * stage and prod, on disk, in the modes a team meets, each beside the floor
 * measured in the same run (the same objects written as JSON, one file per
 * object, plus the kustomizations and the other files). Every measurement is
 * a fresh process (bench/child.ts) with caches of its own; the table shows
 * the median of the runs.
 *
 *   npm run bench -- [--sizes 100,1000] [--runs 3] [--quick] [--tmpfs | --dir DIR]
 *                    [--no-gains] [--no-example] [--json out.json] [--cpu-prof DIR] [--keep]
 *
 * Modes, for each size:
 *   floor          the objects written as JSON files (no rendering, no checks)
 *   first synth    nothing rendered before: every folder rendered and built by kubectl
 *   fresh clone    an up-to-date dist/ (files copied anew), no caches
 *   unchanged      a second synth, caches warm
 *   one changed    one service's spec edited, caches warm
 * For the largest size, what each cache gains (the same mode with it off):
 *   specs (spec files' checked data), rendered (folders taken from dist/),
 *   builds (kubectl builds; only a new output folder has any to take).
 * And the six-service example's `npm run synth`, warm, as a user types it.
 *
 * --sizes LIST   service counts (default 100,1000; growth is measured between the first and last)
 * --runs N       runs per cell, median shown (default 3)
 * --quick        --sizes 100 --runs 1: a few minutes, for development
 * --tmpfs        stacks and outputs on /dev/shm instead of disk (--dir DIR: anywhere; default: the
 *                temporary folder when it is on a disk, else node_modules/.cache)
 * --no-gains     leave out the rows with a cache off
 * --no-example   leave out the example's npm run synth
 * --cpu-prof DIR a V8 CPU profile of every measured gitops-synth process, in DIR/<size>/<mode>/
 * --keep         keep the generated stacks and outputs
 *
 *   npm run bench -- --race [--publishers 4] [--rounds 20] [--write-backs 20] [--keep]
 *
 * --race          instead: publishers racing for one devops branch through the real CLI while
 *                 Image Updater write-backs land (bench/race.ts); exit 1 unless 0 failed, 0 lost, 0 forced
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { toolPath } from '../src/validate/tools.js';
import type { ChildMode, ChildReport } from './child.js';
import { benchRace } from './race.js';
import { BENCH_ENVIRONMENTS, changeOneService, generateStack } from './stack.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'child.js');
const REPO = resolve(HERE, '..', '..');
const GNU_TIME = '/usr/bin/time';

interface Options {
  sizes: number[];
  runs: number;
  base: string;
  json?: string;
  cpuProf?: string;
  keep: boolean;
  gains: boolean;
  example: boolean;
}

type Mode =
  | 'floor'
  | 'first'
  | 'clone'
  | 'unchanged'
  | 'one'
  | 'unchanged-no-specs'
  | 'one-no-specs'
  | 'one-no-rendered'
  | 'new-folder'
  | 'new-folder-no-builds'
  | 'example';

const LABELS: Record<Mode, string> = {
  floor: 'floor: objects → JSON files',
  first: 'first synth (nothing rendered before)',
  clone: 'fresh clone (up-to-date dist/, no caches)',
  unchanged: 'unchanged (caches warm)',
  one: 'one service changed (caches warm)',
  'unchanged-no-specs': 'unchanged, without the specs cache',
  'one-no-specs': 'one service changed, without the specs cache',
  'one-no-rendered': 'one service changed, every folder rendered',
  'new-folder': 'into a new folder (caches warm)',
  'new-folder-no-builds': 'into a new folder, without the builds cache',
  example: 'example: npm run synth (6 services, warm)',
};

/** Targets of issue 13 for 1000 services × 2 environments, wall ms. */
const TARGETS: Partial<Record<Mode, number>> = { clone: 3000, one: 1500, unchanged: 1000, example: 600 };

/** GITOPS_SYNTH_CACHE of each mode (undefined: every cache). */
const CACHES: Partial<Record<Mode, string>> = {
  'unchanged-no-specs': 'builds,rendered',
  'one-no-specs': 'builds,rendered',
  'one-no-rendered': 'specs,builds',
  'new-folder-no-builds': 'specs,rendered',
};

interface Run {
  readonly wallMs: number;
  /** CPU of the process tree (kubectl included) when GNU time is there, else of Node. */
  readonly cpuMs: number;
  readonly report: ChildReport;
}

interface Measurement {
  readonly services: number;
  readonly mode: Mode;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly peakRssMiB: number;
  readonly phases: Record<string, number>;
  readonly runs: number[];
  readonly report: ChildReport;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sizes: [100, 1000], runs: 3, base: '', keep: false, gains: true, example: true };
  let where: string | undefined;
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
    else if (a === '--quick') {
      o.sizes = [100];
      o.runs = 1;
    } else if (a === '--tmpfs') where = '/dev/shm';
    else if (a === '--dir') where = resolve(value());
    else if (a === '--json') o.json = resolve(value());
    else if (a === '--cpu-prof') o.cpuProf = resolve(value());
    else if (a === '--keep') o.keep = true;
    else if (a === '--no-gains') o.gains = false;
    else if (a === '--no-example') o.example = false;
    else if (a === '--help' || a === '-h') {
      const doc = readFileSync(fileURLToPath(import.meta.url), 'utf8').match(/\/\*\*([\s\S]*?)\*\//)![1]!;
      process.stdout.write(`${doc.replace(/^ \* ?/gm, '').trim()}\n`);
      process.exit(0);
    } else throw new Error(`unknown option ${a}; see --help`);
  }
  // On disk unless asked: the temporary folder when it is on a disk, else beside the repository.
  o.base =
    where ?? (fileSystem(tmpdir()) === 'tmpfs' ? join(REPO, 'node_modules', '.cache', 'gitops-synth-bench') : tmpdir());
  return o;
}

/** The type of the file system `dir` is on (`tmpfs`, `ext2/ext3`, ...). */
function fileSystem(dir: string): string {
  return spawnSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).stdout.trim() || 'unknown file system';
}

function positive(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a whole number of at least 1, got ${s}`);
  return n;
}

/** Runs a command once under GNU time (when there) and measures it from outside. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv, cwd = REPO): Run & { stdout: string } {
  const timeFile = join(mkdtempSync(join(tmpdir(), 'gitops-synth-bench-time-')), 'time');
  const useTime = existsSync(GNU_TIME);
  const [cmd, argv] = useTime ? [GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, command, ...args]] : [command, args];
  // What earlier steps wrote is flushed first, so that a measurement does not pay for it.
  spawnSync('sync', { stdio: 'ignore' });
  const started = performance.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 26, cwd, env: { ...process.env, ...env } });
  const wallMs = performance.now() - started;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status}):\n${r.stderr}`);
  let cpuMs = Number.NaN;
  let rssKiB = Number.NaN;
  if (useTime) {
    const [user, sys, maxKiB] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    cpuMs = (user! + sys!) * 1000;
    rssKiB = maxKiB!;
  }
  rmSync(dirname(timeFile), { recursive: true, force: true });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  const report: ChildReport = last.startsWith('{')
    ? (JSON.parse(last) as ChildReport)
    : { maxRssKiB: rssKiB, cpuMs, phases: {}, files: 0 };
  return { wallMs, cpuMs: Number.isNaN(cpuMs) ? report.cpuMs : cpuMs, report, stdout: r.stdout };
}

function child(mode: ChildMode, project: string, out: string, dump: string, env: NodeJS.ProcessEnv, prof?: string) {
  const node = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [];
  return timed(process.execPath, [...node, CHILD, mode, project, out, dump], env);
}

function median(mode: Mode, services: number, runs: Run[]): Measurement {
  const m = [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(runs.length / 2)]!;
  return {
    services,
    mode,
    wallMs: m.wallMs,
    cpuMs: m.cpuMs,
    peakRssMiB: m.report.maxRssKiB / 1024,
    phases: m.report.phases,
    runs: runs.map((r) => Math.round(r.wallMs)),
    report: m.report,
  };
}

/** Measures every mode on a stack of `n` services; `gains` adds the rows with a cache off. */
function benchSize(n: number, dir: string, o: Options, gains: boolean, results: Measurement[], checks: string[]): void {
  const project = join(dir, 'project');
  generateStack(project, n);
  const dump = join(dir, 'objects.json');
  child('dump', project, join(dir, 'unused'), dump, { GITOPS_SYNTH_CACHE: '0' });
  const caches = (name: string) => ({ GITOPS_SYNTH_CACHE_DIR: join(dir, `cache-${name}`) });
  const prof = (mode: Mode) => o.cpuProf && join(o.cpuProf, String(n), mode);
  const measure = (mode: Mode, run: (i: number) => Run): Measurement => {
    process.stderr.write(`bench: ${n} services × ${BENCH_ENVIRONMENTS.length} environments: ${LABELS[mode]}...`);
    const runs = Array.from({ length: o.runs }, (_, i) => run(i));
    const m = median(mode, n, runs);
    process.stderr.write(` ${s(m.wallMs)}\n`);
    results.push(m);
    return m;
  };
  const synth = (mode: Mode, out: string, cache: string): Run =>
    child('synth', project, out, dump, { ...caches(cache), GITOPS_SYNTH_CACHE: CACHES[mode] ?? '1' }, prof(mode));

  measure('floor', (i) => child('floor', project, join(dir, `floor-${i}`), dump, {}));
  measure('first', (i) => synth('first', join(dir, `first-${i}`), `first-${i}`));
  // The warm modes work on the output and the caches of the first synth, as a team's next synths do.
  const dist = join(dir, 'first-0');
  measure('clone', (i) => {
    cpSync(dist, join(dir, `clone-${i}`), { recursive: true });
    return synth('clone', join(dir, `clone-${i}`), `clone-${i}`);
  });
  const unchanged = measure('unchanged', () => synth('unchanged', dist, 'first-0'));
  if (gains) measure('unchanged-no-specs', () => synth('unchanged-no-specs', dist, 'first-0'));
  // A different edit each run: each finds exactly one service changed since the run before.
  const edit = (mode: Mode) => (i: number) => {
    changeOneService(project, `${mode}-${i}`);
    return synth(mode, dist, 'first-0');
  };
  const one = measure('one', edit('one'));
  if (gains) {
    measure('one-no-specs', edit('one-no-specs'));
    measure('one-no-rendered', edit('one-no-rendered'));
    measure('new-folder', (i) => synth('new-folder', join(dir, `new-${i}`), 'first-0'));
    measure('new-folder-no-builds', (i) => synth('new-folder-no-builds', join(dir, `new-nb-${i}`), 'first-0'));
  }

  const clone = results.find((r) => r.services === n && r.mode === 'clone')!;
  const label = `${n} × ${BENCH_ENVIRONMENTS.length}`;
  const verdict = (ok: boolean) => {
    if (!ok) process.exitCode = 1;
    return ok ? 'as expected' : 'NOT AS EXPECTED';
  };
  checks.push(
    `${label}: fresh clone wrote ${clone.report.written} files and built ${clone.report.checkedFolders} folders ` +
      `(${verdict(clone.report.written === 0 && clone.report.checkedFolders === 0)}); unchanged wrote ` +
      `${unchanged.report.written} (${verdict(unchanged.report.unchanged === true)}); one service changed built ` +
      `${one.report.checkedFolders} folders and wrote ${one.report.written} files ` +
      `(${verdict(one.report.checkedFolders === BENCH_ENVIRONMENTS.length)}).`,
  );
}

/** The six-service example's `npm run synth`, as typed in the repository, on a copy of the example. */
function benchExample(dir: string, o: Options, results: Measurement[]): void {
  const example = join(dir, 'example');
  for (const part of ['apps', 'environments', 'dist'])
    cpSync(join(REPO, part), join(example, part), { recursive: true });
  const npm = () => timed('npm', ['run', 'synth', '--', '--project', example], {}, REPO);
  process.stderr.write(`bench: ${LABELS.example}...`);
  npm(); // warm: compiles src/ when it changed, fills the caches
  const runs = Array.from({ length: o.runs }, () => npm());
  for (const r of runs)
    if (!/left untouched/.test(r.stdout)) throw new Error(`the example's dist changed:\n${r.stdout}`);
  const m = median('example', 6, runs);
  process.stderr.write(` ${s(m.wallMs)}\n`);
  results.push(m);
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(headers),
    `|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

function report(results: Measurement[], o: Options, started: { load: number[]; fs: string }, checks: string[]): string {
  const find = (n: number, m: Mode) => results.find((r) => r.services === n && r.mode === m);
  const largest = Math.max(...o.sizes);
  const out: string[] = [
    `gitops-synth bench: Node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), ` +
      `load average ${started.load.map((l) => l.toFixed(2)).join(' ')} at start, ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} at the end.`,
    `Stacks and outputs in ${o.base} (${started.fs}); ${o.runs === 1 ? 'one run' : `median of ${o.runs} runs`} per cell; ` +
      `× floor = wall time over the floor's of the same size. CPU = user + system of the process tree (kubectl ` +
      `included); peak RSS = the Node process.`,
    '',
  ];
  const rows: string[][] = [];
  for (const r of results) {
    const floor = r.mode === 'example' ? undefined : find(r.services, 'floor');
    const target = TARGETS[r.mode];
    const applies = target !== undefined && (r.mode === 'example' || r.services === 1000);
    rows.push([
      r.mode === 'example' ? 'example' : `${r.services} × ${BENCH_ENVIRONMENTS.length}`,
      LABELS[r.mode],
      s(r.wallMs),
      s(r.cpuMs),
      `${r.peakRssMiB.toFixed(0)} MiB`,
      floor ? `${(r.wallMs / floor.wallMs).toFixed(2)}×` : '–',
      applies ? `< ${s(target)} ${r.wallMs < target ? 'met' : 'MISSED'}` : '',
    ]);
  }
  out.push(table(['services × envs', 'mode', 'wall', 'CPU', 'peak RSS', '× floor', 'target'], rows), '');

  const smallest = Math.min(...o.sizes);
  if (largest > smallest) {
    const growth: string[][] = [];
    for (const m of Object.keys(LABELS) as Mode[]) {
      const [a, b] = [find(smallest, m), find(largest, m)];
      if (a && b)
        growth.push([LABELS[m], `${(b.wallMs / a.wallMs).toFixed(1)}×`, `${(b.cpuMs / a.cpuMs).toFixed(1)}×`]);
    }
    out.push(
      `Growth ${smallest} → ${largest} services (${largest / smallest}× the services; target for synth: at most ` +
        `${((largest / smallest) * 1.1).toFixed(0)}×):`,
      '',
      table(['mode', 'wall', 'CPU'], growth),
      '',
    );
  }

  const phaseRows = results
    .filter((r) => Object.keys(r.phases).length)
    .map((r) => [
      `${r.services} × ${BENCH_ENVIRONMENTS.length}`,
      LABELS[r.mode],
      Object.entries(r.phases)
        .map(([k, v]) => `${k} ${Math.round(v)}`)
        .join(', '),
    ]);
  out.push(
    'Where the time goes (ms inside the process; process start and module loading are the rest of the wall time):',
    '',
    table(['services × envs', 'mode', 'stages'], phaseRows),
    '',
    ...checks,
  );
  return out.join('\n');
}

async function main(): Promise<void> {
  if (process.argv.includes('--race')) {
    process.exitCode = await benchRace(process.argv.slice(2), join(HERE, '..', '..', 'bin', 'gitops-synth.js'));
    return;
  }
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(o.base, { recursive: true });
  const started = {
    load: loadavg(),
    fs: fileSystem(o.base),
  };
  // Unpack kubectl before the first measurement (a fresh clone has not done it yet).
  toolPath('kubectl');
  // The child runs the CLI's bundle: made now when src/ changed since (tsc -p tsconfig.bench.json does not).
  const { ensureBuild } = (await import(pathToFileURL(join(REPO, 'bin', 'ensure-build.js')).href)) as {
    ensureBuild(): void;
  };
  ensureBuild();
  const results: Measurement[] = [];
  const checks: string[] = [];
  const t0 = performance.now();
  const dirs: string[] = [];
  try {
    for (const n of o.sizes) {
      const dir = mkdtempSync(join(o.base, `gitops-synth-bench-${n}-`));
      dirs.push(dir);
      benchSize(n, dir, o, o.gains && n === Math.max(...o.sizes), results, checks);
    }
    if (o.example) {
      const dir = mkdtempSync(join(o.base, 'gitops-synth-bench-example-'));
      dirs.push(dir);
      benchExample(dir, o, results);
    }
  } finally {
    for (const dir of dirs) {
      if (o.keep) process.stderr.write(`bench: kept ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    }
  }
  checks.push(
    `Total bench time ${s(performance.now() - t0)}.${o.cpuProf ? ` CPU profiles in ${o.cpuProf}/<size>/<mode>/.` : ''}`,
  );
  process.stdout.write(`${report(results, o, started, checks)}\n`);
  if (o.json) {
    mkdirSync(dirname(o.json), { recursive: true });
    writeFileSync(
      o.json,
      `${JSON.stringify({ node: process.version, cpus: availableParallelism(), results }, null, 2)}\n`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 2;
});
