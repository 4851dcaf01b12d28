/**
 * One measured run of `npm run bench`, in a fresh process so that its wall
 * time and peak RSS are its own:
 *
 *   node build/bench/child.js <mode> <project> <out> <objects.json>
 *
 * Modes:
 * - `synth`: gitops-synth's whole pipeline (load → resolve → construct →
 *   synth → schema-validate → write → kubectl kustomize → swap).
 * - `synth-no-kustomize`: the same without kubectl kustomize.
 * - `cdk8s-one-app`: the plain cdk8s approach for the same services: the same
 *   ServiceStack constructs, every service of every environment a Chart of
 *   ONE cdk8s App, `app.synth()` (cdk8s validates the whole App per Chart).
 * - `floor`: the already-built objects of the output (read from
 *   objects.json) serialized straight to YAML files in the same layout: no
 *   cdk8s, no validation; with gitops-synth's own YAML writer.
 * - `floor-yaml-library`: the same with the yaml library's `stringify` (the
 *   writer gitops-synth used before; same bytes).
 * - `dump` (not measured): renders the project and writes objects.json for
 *   `floor`.
 *
 * Prints one JSON line: peak RSS, the stages' durations and the file count.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ChildReport {
  /** Peak resident set size of this Node process, KiB (kubectl's is not included). */
  readonly maxRssKiB: number;
  /** CPU time of this process (user + system), milliseconds; kubectl's is not included. */
  readonly cpuMs: number;
  /** Milliseconds per stage, measured inside the process (module loading is not a stage). */
  readonly phases: Record<string, number>;
  readonly files: number;
}

/** One output file as data, for the floor: serialized with the project's own serializer. */
export interface DumpedFile {
  readonly path: string;
  readonly format: 'yaml' | 'json' | 'text';
  /** The comment header of a YAML file, without the `# `. */
  readonly header?: string;
  readonly value: unknown;
}

const MODES = ['synth', 'synth-no-kustomize', 'cdk8s-one-app', 'floor', 'floor-yaml-library', 'dump'] as const;
export type ChildMode = (typeof MODES)[number];

async function main(): Promise<void> {
  const [mode, project, out, dump] = process.argv.slice(2) as [ChildMode, string, string, string];
  if (!MODES.includes(mode) || !project || !out || !dump)
    throw new Error(`usage: child.js <${MODES.join('|')}> <project> <out> <objects.json>`);
  const phases: Record<string, number> = {};
  let files = 0;
  const timer = () => {
    let last = performance.now();
    return (phase: string) => {
      const now = performance.now();
      phases[phase] = (phases[phase] ?? 0) + now - last;
      last = now;
    };
  };

  if (mode === 'synth' || mode === 'synth-no-kustomize') {
    const { synth } = await import('../src/pipeline/pipeline.js');
    const result = await synth({
      projectDir: project,
      outDir: out,
      kustomize: mode === 'synth',
      onPhase: (p, ms) => (phases[p] = (phases[p] ?? 0) + ms),
    });
    files = result.files;
  } else if (mode === 'cdk8s-one-app') {
    const { App, Chart } = await import('cdk8s');
    const { loadProject } = await import('../src/spec/load.js');
    const { resolveProject } = await import('../src/resolve/resolve.js');
    const { ServiceStack } = await import('../src/constructs/service-stack.js');
    const phase = timer();
    const resolved = resolveProject(loadProject(project));
    phase('load+resolve');
    const app = new App({ outdir: out, recordConstructMetadata: false });
    for (const env of resolved.environments) {
      for (const svc of resolved.services.get(env.name) ?? []) {
        // "_" cannot occur in environment or service names, so the ids never clash.
        const chart = new Chart(app, `${env.name}_${svc.name}`, {
          namespace: env.namespace,
          disableResourceNameHashes: true,
        });
        new ServiceStack(chart, 'Stack', { service: svc });
        files++;
      }
    }
    phase('construct');
    app.synth();
    phase('synth');
  } else if (mode === 'floor' || mode === 'floor-yaml-library') {
    const { canonical, toJson, toYaml: fastYaml } = await import('../src/output/serialize.js');
    const { stringify } = await import('yaml');
    const libraryYaml = (value: unknown, header?: string): string => {
      const body = stringify(canonical(value), { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false });
      return header
        ? `${header
            .split('\n')
            .map((l) => `# ${l}`.trimEnd())
            .join('\n')}\n${body}`
        : body;
    };
    const toYaml = mode === 'floor' ? fastYaml : libraryYaml;
    const phase = timer();
    const entries = JSON.parse(readFileSync(dump, 'utf8')) as DumpedFile[];
    phase('read');
    const made = new Set<string>();
    for (const e of entries) {
      const content =
        e.format === 'yaml' ? toYaml(e.value, e.header) : e.format === 'json' ? toJson(e.value) : (e.value as string);
      const target = join(out, e.path);
      const dir = dirname(target);
      if (!made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        made.add(dir);
      }
      writeFileSync(target, content);
      files++;
    }
    phase('serialize+write');
  } else {
    files = await dumpObjects(project, dump);
  }

  const usage = process.resourceUsage();
  const report: ChildReport = {
    maxRssKiB: usage.maxRSS,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    phases,
    files,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** Writes every file of the rendered output as data: the objects the renderers built, the other files parsed back. */
async function dumpObjects(project: string, dump: string): Promise<number> {
  const { parse } = await import('yaml');
  const { loadProject } = await import('../src/spec/load.js');
  const { resolveProject } = await import('../src/resolve/resolve.js');
  const { DEFAULT_RENDERERS } = await import('../src/pipeline/pipeline.js');
  const loaded = loadProject(project);
  const ctx = { project: loaded, resolved: resolveProject(loaded) };
  const entries: DumpedFile[] = [];
  for (const out of await Promise.all(DEFAULT_RENDERERS.map((r) => r(ctx)))) {
    const objects = new Map(out.objects.map((o) => [o.file, o.object]));
    for (const [path, content] of out.tree.entries()) {
      if (path.endsWith('.json')) {
        entries.push({ path, format: 'json', value: JSON.parse(content) });
      } else if (path.endsWith('.yaml')) {
        const lines = content.split('\n');
        const headerLines: string[] = [];
        while (lines[0]?.startsWith('#')) headerLines.push(lines.shift()!.replace(/^# ?/, ''));
        entries.push({
          path,
          format: 'yaml',
          header: headerLines.length ? headerLines.join('\n') : undefined,
          value: objects.get(path) ?? parse(lines.join('\n')),
        });
      } else {
        entries.push({ path, format: 'text', value: content });
      }
    }
  }
  writeFileSync(dump, JSON.stringify(entries));
  return entries.length;
}

await main();
