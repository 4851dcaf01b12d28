import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { ProblemList, ValidationError } from '../spec/errors.js';
import type { ResolvedEnvironment } from '../resolve/model.js';
import { loadProjectPartially } from '../spec/load.js';
import { resolvePartialProject } from '../resolve/resolve.js';
import { KUBERNETES_KINDS, SchemaValidator } from '../validate/schemas.js';
import { kustomizeBuildAll, type KustomizeFolder } from '../validate/kustomize.js';
import { writeTreeAtomicallyAsync, type WriteResult } from '../write/atomic-tree.js';
import { renderArgoCd } from '../argocd/render.js';
import { renderBootstrapFolder } from '../bootstrap/render.js';
import { renderEnvironmentFolders } from '../environment/render.js';
import type { RenderContext, RenderOutput, Renderer } from '../output/renderer.js';
import { RenderedTree } from '../output/tree.js';
import { openRenderCaches } from '../synth/render-cache.js';
import { renderServices } from '../synth/render-services.js';
import { ChangeRefusedError, checkChanges, isBlocking, type ChangeReport } from '../guard/check.js';
import { readPreviousFolder } from '../guard/previous.js';
import type { RemovalAllowance } from '../guard/removals.js';

/** The renderers of a synth run, in order. Later issues add theirs here. */
export const DEFAULT_RENDERERS: readonly Renderer[] = [
  renderServices,
  renderEnvironmentFolders,
  renderArgoCd,
  renderBootstrapFolder,
];

export interface RenderResult {
  readonly context: RenderContext;
  readonly tree: RenderedTree;
  readonly kustomizeFolders: readonly KustomizeFolder[];
  readonly objectCount: number;
  /** Files of the objects rendered by this run (not taken from the render cache): the likeliest to have changed. */
  readonly renderedNow: readonly string[];
}

/**
 * Load → resolve → build → synthesize → schema-validate, all in memory.
 * Throws SpecError for bad specs and ValidationError for invalid objects.
 */
export async function renderProject(
  projectDir: string,
  renderers: readonly Renderer[] = DEFAULT_RENDERERS,
  onPhase?: PhaseListener,
): Promise<RenderResult> {
  const phase = phaseTimer(onPhase);
  const root = resolve(projectDir);
  const caches = openRenderCaches(root);
  // A file with a problem of its own does not stop the checks between the others: one SpecError reports both.
  const loaded = loadProjectPartially(root, { cache: caches.specs });
  const { project } = loaded;
  phase('load', { services: project.services.length, environments: project.environments.length });
  const resolved = resolvePartialProject(loaded);
  const folders = [...resolved.services.values()].reduce((n, list) => n + list.length, 0);
  phase('resolve', { folders });
  const context: RenderContext = { project, resolved, renderCache: caches.folders };
  const tree = new RenderedTree();
  const validator = new SchemaValidator(KUBERNETES_KINDS);
  const outputs: RenderOutput[] = [];
  for (const render of renderers) outputs.push(await render(context));
  phase('render', { objects: outputs.reduce((n, o) => n + o.objects.length + (o.remembered ?? 0), 0) });
  checkTopFolders(outputs, resolved.environments);
  const failures: string[] = [];
  let objectCount = 0;
  for (const out of outputs) {
    tree.merge(out.tree);
    objectCount += out.remembered ?? 0;
    const v = out.schemas ? new SchemaValidator(KUBERNETES_KINDS, out.schemas) : validator;
    await v.prepare(out.objects.map((o) => `${o.object.apiVersion}/${o.object.kind}`));
    for (const { file, object } of out.objects) {
      objectCount++;
      for (const p of v.validate(object)) failures.push(`${file}: ${object.kind} ${object.metadata.name}: ${p}`);
    }
  }
  if (failures.length) throw new ValidationError(failures);
  for (const out of outputs) out.remember?.();
  caches.folders?.save();
  phase('schemas', { files: tree.size });
  return {
    context,
    tree,
    kustomizeFolders: outputs.flatMap((o) => o.kustomizeFolders ?? []),
    objectCount,
    renderedNow: outputs.flatMap((o) => o.objects.map((x) => x.file)),
  };
}

/**
 * An environment's folder at the top of the output holds folders only (one
 * per service, and the environment's own objects), while gitops-synth's own
 * folders (`argocd/`, `bootstrap/`) hold files: a file directly inside an
 * environment's folder means a renderer writes where an environment is named
 * like its folder. Such a name is refused when it is loaded (OUTPUT_FOLDERS);
 * this catches a folder missing from that list before files of two kinds mix.
 */
function checkTopFolders(outputs: readonly RenderOutput[], environments: readonly ResolvedEnvironment[]): void {
  const problems = new ProblemList();
  const reported = new Set<string>();
  for (const out of outputs) {
    for (const path of out.tree.paths()) {
      const parts = path.split('/');
      const env = parts.length === 2 ? environments.find((e) => e.name === parts[0]) : undefined;
      if (!env || reported.has(env.name)) continue;
      reported.add(env.name);
      problems.add({
        ...env.source.locate(env.source.has(['name']) ? ['name'] : []),
        field: 'name',
        message:
          `the environment name "${env.name}" is also the folder dist/${env.name}/ where gitops-synth writes its ` +
          `own files; expected another name`,
      });
    }
  }
  problems.throwIfAny();
}

/** The service folders of a render (the environments' own folders are not services). */
function serviceCount(rendered: RenderResult): number {
  let count = 0;
  for (const services of rendered.context.resolved.services.values()) count += services.length;
  return count;
}

/** The stages of a synth run, in order, as `onPhase` reports them. */
export type SynthPhase = 'load' | 'resolve' | 'render' | 'schemas' | 'compare' | 'write' | 'kustomize' | 'swap';
/** What a run has counted by the end of a stage (each stage adds what it learnt), for progress lines. */
export interface PhaseCounts {
  /** Service specs loaded. */
  readonly services?: number;
  readonly environments?: number;
  /** Service folders (services × the environments they are enabled in). */
  readonly folders?: number;
  /** Objects rendered, checked against their schemas. */
  readonly objects?: number;
  /** Files of the rendered tree. */
  readonly files?: number;
}
/** Told how long each stage took (milliseconds), for `npm run bench`, and what it counted, for progress lines. */
export type PhaseListener = (phase: SynthPhase, ms: number, counts: PhaseCounts) => void;

function phaseTimer(onPhase: PhaseListener | undefined): (phase: SynthPhase, counts?: PhaseCounts) => void {
  let last = performance.now();
  const counted: PhaseCounts = {};
  return (phase, counts) => {
    const now = performance.now();
    Object.assign(counted, counts);
    onPhase?.(phase, now - last, { ...counted });
    last = now;
  };
}

export interface SynthOptions {
  /** The project folder holding apps/ and environments/. */
  readonly projectDir: string;
  /** @default <projectDir>/dist */
  readonly outDir?: string;
  /** Build every service folder with kubectl kustomize before swapping the output in. @default true */
  readonly kustomize?: boolean;
  readonly renderers?: readonly Renderer[];
  /** Told the duration of each stage. @default none */
  readonly onPhase?: PhaseListener;
  /**
   * What may leave the output beyond routine removals (`--allow-removal`,
   * `app remove`), compared with what `outDir` holds. @default nothing
   */
  readonly removals?: RemovalAllowance;
}

export interface SynthResult extends WriteResult {
  readonly outDir: string;
  readonly services: number;
  readonly objects: number;
  readonly environments: readonly string[];
  /** The comparison with the previous output: acknowledged changes and what to do about them. */
  readonly changes: ChangeReport;
}

/**
 * Renders, validates and atomically writes the whole output tree. Compared
 * with what `outDir` holds, a render that removes an environment or most of
 * one, or changes what the API server refuses to update, is refused
 * (ChangeRefusedError) and nothing is written.
 */
export async function synth(options: SynthOptions): Promise<SynthResult> {
  const rendered = await renderProject(options.projectDir, options.renderers, options.onPhase);
  const outDir = resolve(options.outDir ?? join(options.projectDir, 'dist'));
  const phase = phaseTimer(options.onPhase);
  const folders = rendered.kustomizeFolders.length;
  const shown = relative(process.cwd(), outDir) || '.';
  const previous = readPreviousFolder(outDir, rendered.tree, `${shown}/ (what synth wrote last)`);
  const changes = checkChanges(previous, rendered.tree, rendered.context, options.removals);
  if (isBlocking(changes)) throw new ChangeRefusedError(changes);
  phase('compare');
  const written = await writeTreeAtomicallyAsync(outDir, rendered.tree, {
    // An output that already holds the tree is checked where it is and left alone.
    leaveUnchanged: { compareFirst: rendered.renderedNow },
    beforeSwap: async (treeDir, scratchDir) => {
      phase('write', { folders, files: rendered.tree.size });
      if (options.kustomize === false) return;
      const failures = await kustomizeBuildAll(treeDir, rendered.kustomizeFolders, {
        scratchDir,
        project: rendered.context.project.root,
      });
      if (failures.length) throw new ValidationError(failures);
      phase('kustomize');
    },
  });
  phase('swap');
  return {
    ...written,
    outDir,
    services: serviceCount(rendered),
    objects: rendered.objectCount,
    environments: rendered.context.resolved.environments.map((e) => e.name),
    changes,
  };
}

/**
 * Everything synth checks, writing nothing to the project: the tree is built
 * in a temporary folder. Returns the checked tree too (publish and diff use it).
 */
export async function validate(
  options: Omit<SynthOptions, 'outDir'>,
): Promise<{ services: number; objects: number; rendered: RenderResult }> {
  const rendered = await renderProject(options.projectDir, options.renderers, options.onPhase);
  if (options.kustomize !== false) {
    const phase = phaseTimer(options.onPhase);
    const folders = rendered.kustomizeFolders.length;
    const scratch = mkdtempSync(join(tmpdir(), 'gitops-synth-validate-'));
    try {
      await writeTreeAtomicallyAsync(join(scratch, 'dist'), rendered.tree, {
        beforeSwap: async (staging) => {
          phase('write', { folders, files: rendered.tree.size });
          const failures = await kustomizeBuildAll(staging, rendered.kustomizeFolders, {
            project: rendered.context.project.root,
          });
          if (failures.length) throw new ValidationError(failures);
          phase('kustomize');
        },
      });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return { services: serviceCount(rendered), objects: rendered.objectCount, rendered };
}
