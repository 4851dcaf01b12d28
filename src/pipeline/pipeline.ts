import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ProblemList, ValidationError } from '../spec/errors.js';
import type { ResolvedEnvironment } from '../resolve/model.js';
import { loadProjectPartially } from '../spec/load.js';
import { resolvePartialProject } from '../resolve/resolve.js';
import { KUBERNETES_KINDS, SchemaValidator } from '../validate/schemas.js';
import { kustomizeBuildAll, type KustomizeFolder } from '../validate/kustomize.js';
import { writeTreeAtomicallyAsync, type WriteResult } from '../write/atomic-tree.js';
import { renderArgoCd } from '../argocd/render.js';
import { renderBootstrapFolder } from '../bootstrap/render.js';
import type { RenderContext, RenderOutput, Renderer } from '../output/renderer.js';
import { RenderedTree } from '../output/tree.js';
import { openRenderCaches } from '../synth/render-cache.js';
import { renderServices } from '../synth/render-services.js';

/** The renderers of a synth run, in order. Later issues add theirs here. */
export const DEFAULT_RENDERERS: readonly Renderer[] = [renderServices, renderArgoCd, renderBootstrapFolder];

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
  phase('load');
  const resolved = resolvePartialProject(loaded);
  const { project } = loaded;
  phase('resolve');
  const context: RenderContext = { project, resolved, renderCache: caches.folders };
  const tree = new RenderedTree();
  const validator = new SchemaValidator(KUBERNETES_KINDS);
  const outputs: RenderOutput[] = [];
  for (const render of renderers) outputs.push(await render(context));
  phase('render');
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
  phase('schemas');
  return {
    context,
    tree,
    kustomizeFolders: outputs.flatMap((o) => o.kustomizeFolders ?? []),
    objectCount,
    renderedNow: outputs.flatMap((o) => o.objects.map((x) => x.file)),
  };
}

/**
 * Each folder at the top of the output belongs to one renderer: an
 * environment's folder to the services, `argocd/` to the Argo CD layer, and
 * so on. An environment named like another renderer's folder is refused
 * when it is loaded (OUTPUT_FOLDERS); this catches a folder missing from that
 * list before two renderers' files mix in one folder.
 */
function checkTopFolders(outputs: readonly RenderOutput[], environments: readonly ResolvedEnvironment[]): void {
  const owner = new Map<string, number>();
  const problems = new ProblemList();
  outputs.forEach((out, i) => {
    for (const path of out.tree.paths()) {
      const top = path.split('/')[0]!;
      if (top === path) continue;
      const first = owner.get(top);
      if (first === undefined) owner.set(top, i);
      else if (first !== i && first !== -1) {
        const env = environments.find((e) => e.name === top);
        if (!env) throw new Error(`internal error: two renderers write into the folder ${top}/ of the output`);
        problems.add({
          ...env.source.locate(env.source.has(['name']) ? ['name'] : []),
          field: 'name',
          message:
            `the environment name "${top}" is also the folder dist/${top}/ where gitops-synth writes its own ` +
            `files; expected another name`,
        });
        owner.set(top, -1);
      }
    }
  });
  problems.throwIfAny();
}

/** The stages of a synth run, in order, as `onPhase` reports them. */
export type SynthPhase = 'load' | 'resolve' | 'render' | 'schemas' | 'write' | 'kustomize' | 'swap';
/** Told how long each stage took (milliseconds), for `npm run bench`. */
export type PhaseListener = (phase: SynthPhase, ms: number) => void;

function phaseTimer(onPhase: PhaseListener | undefined): (phase: SynthPhase) => void {
  let last = performance.now();
  return (phase) => {
    const now = performance.now();
    onPhase?.(phase, now - last);
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
}

export interface SynthResult extends WriteResult {
  readonly outDir: string;
  readonly services: number;
  readonly objects: number;
  readonly environments: readonly string[];
}

/** Renders, validates and atomically writes the whole output tree. */
export async function synth(options: SynthOptions): Promise<SynthResult> {
  const rendered = await renderProject(options.projectDir, options.renderers, options.onPhase);
  const outDir = resolve(options.outDir ?? join(options.projectDir, 'dist'));
  const phase = phaseTimer(options.onPhase);
  const written = await writeTreeAtomicallyAsync(outDir, rendered.tree, {
    // An output that already holds the tree is checked where it is and left alone.
    leaveUnchanged: { compareFirst: rendered.renderedNow },
    beforeSwap: async (treeDir, scratchDir) => {
      phase('write');
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
    services: rendered.kustomizeFolders.length,
    objects: rendered.objectCount,
    environments: rendered.context.resolved.environments.map((e) => e.name),
  };
}

/**
 * Everything synth checks, writing nothing to the project: the tree is built
 * in a temporary folder. Returns the checked tree too (publish and diff use it).
 */
export async function validate(
  options: Omit<SynthOptions, 'outDir'>,
): Promise<{ services: number; objects: number; rendered: RenderResult }> {
  const rendered = await renderProject(options.projectDir, options.renderers);
  if (options.kustomize !== false) {
    const scratch = mkdtempSync(join(tmpdir(), 'gitops-synth-validate-'));
    try {
      await writeTreeAtomicallyAsync(join(scratch, 'dist'), rendered.tree, {
        beforeSwap: async (staging) => {
          const failures = await kustomizeBuildAll(staging, rendered.kustomizeFolders, {
            project: rendered.context.project.root,
          });
          if (failures.length) throw new ValidationError(failures);
        },
      });
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return { services: rendered.kustomizeFolders.length, objects: rendered.objectCount, rendered };
}
