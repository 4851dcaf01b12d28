/**
 * One measured run of `npm run bench`, in a fresh process so that its wall
 * time and peak RSS are its own:
 *
 *   node build/bench/child.js <mode> <project> <out> <objects.json>
 *
 * Modes:
 * - `synth`: gitops-synth's synth of the project into `out`, as the CLI runs
 *   it (the record of the last run looked up; unless it answers, load →
 *   resolve → render → compare → schemas → kubectl kustomize of the changed
 *   folders → write what changed, then the run remembered), with the caches
 *   the environment gives it (GITOPS_SYNTH_CACHE, GITOPS_SYNTH_CACHE_DIR).
 * - `floor`: the objects of the output (read from objects.json) written as
 *   JSON (which is YAML), one file per object, plus the kustomizations and
 *   the other files, in the same layout: what any generator of this output
 *   has to do at least.
 * - `dump` (not measured): renders the project and writes objects.json for
 *   `floor`.
 *
 * Prints one JSON line: peak RSS, CPU time, the stages' durations, the file
 * count, and for synth what it wrote and built.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ChildReport {
  /** Peak resident set size of this Node process, KiB (kubectl's is not included). */
  readonly maxRssKiB: number;
  /** CPU time of this process (user + system), milliseconds; kubectl's is not included. */
  readonly cpuMs: number;
  /** Milliseconds per stage, measured inside the process (module loading is not a stage). */
  readonly phases: Record<string, number>;
  readonly files: number;
  /** synth: files written (added or changed). */
  readonly written?: number;
  /** synth: service folders built by kubectl kustomize or found in its cache (changed ones). */
  readonly checkedFolders?: number;
  /** synth: the output already held the tree. */
  readonly unchanged?: boolean;
}

/** One output file as data, for the floor. */
export interface DumpedFile {
  readonly path: string;
  readonly format: 'object' | 'text';
  readonly value: unknown;
}

const MODES = ['synth', 'floor', 'dump'] as const;
export type ChildMode = (typeof MODES)[number];

/**
 * A module of the CLI as the CLI loads it: from its bundle (bin/ensure-build.js) when there is one, else as
 * tsc wrote it (`load`).
 */
async function cliModule<T>(name: 'pipeline' | 'run-record', load: () => Promise<T>): Promise<T> {
  const bundled = new URL(`../src/bundle/${name}.js`, import.meta.url);
  return existsSync(bundled) ? ((await import(bundled.href)) as T) : load();
}

async function main(): Promise<void> {
  const [mode, project, out, dump] = process.argv.slice(2) as [ChildMode, string, string, string];
  if (!MODES.includes(mode) || !project || !out || !dump)
    throw new Error(`usage: child.js <${MODES.join('|')}> <project> <out> <objects.json>`);
  const phases: Record<string, number> = {};
  let report: Partial<ChildReport> = {};

  if (mode === 'synth') {
    // As the CLI's synth command runs it: answered from the record of the last run when nothing changed.
    const { withRunRecord } = await cliModule('run-record', () => import('../src/pipeline/run-record.js'));
    const onPhase = (p: string, ms: number) => (phases[p] = (phases[p] ?? 0) + ms);
    const { result, fromRecord } = await withRunRecord(
      project,
      out,
      async (witness) => {
        const { synth } = await cliModule('pipeline', () => import('../src/pipeline/pipeline.js'));
        return synth({ projectDir: project, outDir: out, onPhase, witness });
      },
      onPhase,
    );
    report = {
      files: result.files,
      written: fromRecord ? 0 : result.written,
      checkedFolders: fromRecord ? 0 : result.checkedFolders,
      unchanged: fromRecord || result.unchanged,
    };
  } else if (mode === 'floor') {
    let last = performance.now();
    const entries = JSON.parse(readFileSync(dump, 'utf8')) as DumpedFile[];
    phases.read = performance.now() - last;
    last = performance.now();
    const made = new Set<string>();
    for (const e of entries) {
      const target = join(out, e.path);
      const dir = dirname(target);
      if (!made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      writeFileSync(target, e.format === 'object' ? JSON.stringify(e.value) : (e.value as string));
    }
    phases.write = performance.now() - last;
    report = { files: entries.length };
  } else {
    report = { files: await dumpObjects(project, dump) };
  }

  const usage = process.resourceUsage();
  const full: ChildReport = {
    maxRssKiB: usage.maxRSS,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    phases,
    files: report.files ?? 0,
    ...report,
  };
  process.stdout.write(`${JSON.stringify(full)}\n`);
}

/** Writes every file of the rendered output as data: YAML and JSON files parsed, the others as text. */
async function dumpObjects(project: string, dump: string): Promise<number> {
  const { parse } = await import('yaml');
  const { renderProject } = await import('../src/pipeline/pipeline.js');
  const { tree } = await renderProject(project);
  const entries: DumpedFile[] = tree
    .entries()
    .map(([path, content]) =>
      path.endsWith('.json')
        ? { path, format: 'object', value: JSON.parse(content) }
        : path.endsWith('.yaml')
          ? { path, format: 'object', value: parse(content) }
          : { path, format: 'text', value: content },
    );
  writeFileSync(dump, JSON.stringify(entries));
  return entries.length;
}

await main();
