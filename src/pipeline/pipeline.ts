import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { ProblemList, ValidationError } from '../spec/errors.js';
import type { ResolvedEnvironment } from '../resolve/model.js';
import { loadProjectPartially } from '../spec/load.js';
import { resolvePartialProject } from '../resolve/resolve.js';
import { KUBERNETES_KINDS, SchemaValidator } from '../validate/schemas.js';
import { kustomizeBuildAll, type KustomizeFolder, type ProvenFolder } from '../validate/kustomize.js';
import { OWNERSHIP_FILE, ownershipRecord } from '../output/ownership.js';
import { outputFolder } from '../write/claim.js';
import { OwnershipError } from '../write/ownership-error.js';
import { writeTree, type TreeWriteResult } from '../write/tree-writer.js';
import { renderArgoCd } from '../argocd/render.js';
import { renderBootstrapFolder } from '../bootstrap/render.js';
import { renderEnvironmentFolders } from '../environment/render.js';
import type { RenderContext, RenderOutput, Renderer } from '../output/renderer.js';
import { RenderedTree } from '../output/tree.js';
import { SpecCache } from '../spec/spec-cache.js';
import { cacheOn } from '../util/caches.js';
import { rendererIdentity } from '../synth/renderer-identity.js';
import { markerDigest, openProvenFolders } from './proven-folders.js';
import { lastOutputState, type RunWitness } from './run-record.js';
import { renderServices } from '../synth/render-services.js';
import { checkChanges, isBlocking, type ChangeReport } from '../guard/check.js';
import { ChangeRefusedError } from '../guard/refused.js';
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
  /** Every file of the output, the ownership marker included. */
  readonly tree: RenderedTree;
  readonly kustomizeFolders: readonly KustomizeFolder[];
  readonly objectCount: number;
}

/**
 * Load → resolve → build → synthesize → schema-validate, all in memory.
 * Throws SpecError for bad specs and ValidationError for invalid objects.
 */
export async function renderProject(
  projectDir: string,
  renderers: readonly Renderer[] = DEFAULT_RENDERERS,
  onPhase?: PhaseListener,
  options: RenderOptions = {},
): Promise<RenderResult> {
  const rendered = await renderUnchecked(projectDir, renderers, phaseTimer(onPhase), options);
  await rendered.checkSchemas(() => true);
  return rendered;
}

export interface RenderOptions {
  /**
   * An output folder whose service folders are taken as they are where its
   * ownership marker shows they were rendered from the same input by the
   * same code (proven-folders.ts), unless the `rendered` cache is off.
   * @default none: every folder is rendered
   */
  readonly provenFrom?: string;
  /** Filled with the lstat signatures of the files taken from `provenFrom` (ProvenFolderOptions). @default none */
  readonly observed?: Map<string, string>;
}

interface UncheckedRender extends RenderResult {
  /** Files taken as they are from the output (proven-folders.ts). */
  readonly provenFiles: ReadonlySet<string>;
  /** markerDigest of the output's ownership marker the proven files were taken by; undefined when none were. */
  readonly provenMarker: string | undefined;
  /**
   * Validates the objects rendered now whose file `needsCheck` accepts
   * against their schemas (ValidationError when one fails).
   */
  checkSchemas(needsCheck: (file: string) => boolean): Promise<void>;
}

/** Everything renderProject does but the schema validation, which the caller runs when it knows what changed. */
async function renderUnchecked(
  projectDir: string,
  renderers: readonly Renderer[],
  phase: (phase: SynthPhase, counts?: PhaseCounts) => void,
  options: RenderOptions = {},
): Promise<UncheckedRender> {
  const root = resolve(projectDir);
  const renderer = rendererIdentity();
  // A file with a problem of its own does not stop the checks between the others: one SpecError reports both.
  const loaded = loadProjectPartially(root, { cache: SpecCache.forProject(root) });
  const { project } = loaded;
  phase('load', { services: project.services.length, environments: project.environments.length });
  const resolved = resolvePartialProject(loaded);
  phase('resolve', { folders: [...resolved.services.values()].reduce((n, list) => n + list.length, 0) });
  // Without it, every folder is rendered (a check that dist/ is what the specs render).
  const provenFolders =
    options.provenFrom !== undefined && cacheOn('rendered')
      ? openProvenFolders(options.provenFrom, renderer, {
          state: lastOutputState(root, options.provenFrom),
          observed: options.observed,
        })
      : undefined;
  const context: RenderContext = { project, resolved, provenFolders };
  const tree = new RenderedTree();
  const outputs: RenderOutput[] = [];
  for (const render of renderers) outputs.push(await render(context));
  checkTopFolders(outputs, resolved.environments);
  let objectCount = 0;
  for (const out of outputs) {
    tree.merge(out.tree);
    objectCount += (out.remembered ?? 0) + out.objects.length;
  }
  // Part of the tree like any file: compared, written and published with it.
  const folders = new Map(outputs.flatMap((o) => [...(o.folderDigests ?? [])]));
  tree.add(OWNERSHIP_FILE, ownershipRecord(tree.paths(), renderer === undefined ? undefined : { renderer, folders }));
  phase('render', { objects: objectCount });
  const provenFiles = new Set(outputs.flatMap((o) => o.provenFiles ?? []));
  return {
    context,
    tree,
    kustomizeFolders: outputs.flatMap((o) => o.kustomizeFolders ?? []),
    objectCount,
    provenFiles,
    provenMarker: provenFiles.size ? provenFolders?.marker : undefined,
    checkSchemas: async (needsCheck) => {
      const validator = new SchemaValidator(KUBERNETES_KINDS);
      const failures: string[] = [];
      for (const out of outputs) {
        const objects = out.objects.filter((o) => needsCheck(o.file));
        if (objects.length === 0) continue;
        const v = out.schemas ? new SchemaValidator(KUBERNETES_KINDS, out.schemas) : validator;
        await v.prepare(objects.map((o) => `${o.object.apiVersion}/${o.object.kind}`));
        for (const { file, object } of objects)
          for (const p of v.validate(object)) failures.push(`${file}: ${object.kind} ${object.metadata.name}: ${p}`);
      }
      if (failures.length) throw new ValidationError(failures);
      phase('schemas', { files: tree.size });
    },
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
      const slash = path.indexOf('/');
      // Most paths are three deep: only one with a single `/` is looked up.
      const env =
        slash > 0 && path.indexOf('/', slash + 1) < 0
          ? environments.find((e) => e.name === path.slice(0, slash))
          : undefined;
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
export type SynthPhase =
  | 'load'
  | 'resolve'
  | 'render'
  | 'guard'
  | 'compare'
  | 'write'
  | 'schemas'
  | 'kustomize'
  | 'apply';
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
  /** Build the changed service folders with kubectl kustomize before writing them. @default true */
  readonly kustomize?: boolean;
  readonly renderers?: readonly Renderer[];
  /** Told the duration of each stage. @default none */
  readonly onPhase?: PhaseListener;
  /**
   * What may leave the output beyond routine removals (`--allow-removal`,
   * `app remove`), compared with what `outDir` holds. @default nothing
   */
  readonly removals?: RemovalAllowance;
  /** Told what the run took from the output as it was and what it wrote, for the record of the run. @default none */
  readonly witness?: RunWitness;
}

export interface SynthResult extends TreeWriteResult {
  readonly outDir: string;
  readonly services: number;
  readonly objects: number;
  readonly environments: readonly string[];
  /** Service folders kubectl kustomize was asked to check (the others were proven before). */
  readonly checkedFolders: number;
  /** The comparison with the previous output: acknowledged changes and what to do about them. */
  readonly changes: ChangeReport;
  /** Names the ownership marker this run left in the output (markerDigest), for the next run's OutputState. */
  readonly markerDigest: string;
}

/**
 * Renders the project and writes what changed into the output (tree-writer.ts).
 * Compared with what the output holds, a render that removes an environment
 * or most of one, or changes what the API server refuses to update, is
 * refused (ChangeRefusedError) and nothing is written.
 *
 * A file byte-identical to the one the output holds was checked when it was
 * written there (by the synth that wrote it, or by CI's `validate` of the
 * commit that holds it), so only the objects of changed files are checked
 * against their schemas, and only folders with a changed file are built with
 * kubectl kustomize (and of those, only the ones the kustomize cache does not
 * remember). `validate` checks everything.
 */
export async function synth(options: SynthOptions): Promise<SynthResult> {
  const phase = phaseTimer(options.onPhase);
  const projectDir = resolve(options.projectDir);
  const outDir = resolve(options.outDir ?? join(projectDir, 'dist'));
  // A folder that may never be written is refused before the specs are read.
  const dir = outputFolder(outDir, { projectDir });
  const rendered = await renderUnchecked(projectDir, options.renderers ?? DEFAULT_RENDERERS, phase, {
    provenFrom: dir,
    observed: options.witness?.observed,
  });
  const shown = relative(process.cwd(), outDir) || '.';
  let checkedFolders = 0;
  let changes: ChangeReport | undefined;
  const written = await writeTree(outDir, rendered.tree, {
    projectDir,
    unchanged: rendered.provenFiles,
    // Under the write lock, from its listing of the output: compared with what the write replaces.
    guard: (files) => {
      // Files taken from the output as they are hold the new render's bytes: the previous render's too.
      const origin = `${shown}/ (what synth wrote last)`;
      const previous = readPreviousFolder(dir, files, rendered.tree, origin, rendered.provenFiles);
      changes = checkChanges(previous, rendered.tree, rendered.context, options.removals);
      if (isBlocking(changes)) throw new ChangeRefusedError(changes);
      phase('guard', { files: rendered.tree.size });
    },
    onPhase: (p) => phase(p === 'stage' ? 'write' : p),
    check: async (staged) => {
      checkProvenMarker(dir, rendered);
      const changed = (file: string) => staged.whole || staged.files.has(file);
      await rendered.checkSchemas(changed);
      if (options.kustomize === false) return;
      const toCheck = rendered.kustomizeFolders.filter((f) => staged.whole || staged.folders.has(f.folder));
      checkedFolders = toCheck.length;
      if (toCheck.length === 0) return;
      const failures = await kustomizeBuildAll(staged.root, toCheck, {
        project: projectDir,
        proven: provenFoldersBut(rendered, (f) => staged.whole || staged.folders.has(f)),
      });
      if (failures.length) throw new ValidationError(failures);
      phase('kustomize');
    },
  });
  if (options.witness) options.witness.rendered = rendered.tree;
  return {
    ...written,
    outDir: written.dir,
    services: serviceCount(rendered),
    objects: rendered.objectCount,
    environments: rendered.context.resolved.environments.map((e) => e.name),
    checkedFolders,
    changes: changes!,
    markerDigest: markerDigest(rendered.tree.get(OWNERSHIP_FILE) ?? ''),
  };
}

/**
 * The service folders of the render but those `built` accepts, for the
 * check that no two folders of an environment emit the same object.
 */
function provenFoldersBut(rendered: UncheckedRender, built: (folder: string) => boolean): ProvenFolder[] {
  return rendered.kustomizeFolders
    .filter((f) => !built(f.folder))
    .map((f) => ({
      folder: f.folder,
      digest: f.digest,
      objects: f.objects,
      // A getter: a proven folder's files are read only if the build cache does not remember it.
      get files() {
        return f.files ?? [];
      },
    }));
}

/**
 * Files taken from the output as they were are not written again, so the
 * output must still be the one they were taken from when the write begins
 * (the write lock held): another synth may have written it since. Its
 * marker tells: the one they were taken by, or the one this run writes
 * (then a run of the same render wrote it, and every folder holds what this
 * run would write). Anything else is refused before anything is written.
 */
function checkProvenMarker(dir: string, rendered: UncheckedRender): void {
  if (rendered.provenMarker === undefined) return;
  let text: string;
  try {
    text = readFileSync(join(dir, OWNERSHIP_FILE), 'utf8');
  } catch {
    text = '';
  }
  const now = markerDigest(text);
  if (now === rendered.provenMarker || text === rendered.tree.get(OWNERSHIP_FILE)) return;
  throw new OwnershipError(
    `${dir} was written by another run while this synth was rendering (its ownership marker changed); ` +
      'nothing was written: run the command again',
    dir,
  );
}

/**
 * Everything synth checks, writing nothing to the project: the objects
 * against their schemas and the service folders built by kubectl kustomize,
 * in a temporary folder. Returns the checked tree too. What it may take as
 * done before (`reuse`):
 *  - `nothing` (the `validate` command, which CI runs): every folder
 *    rendered, checked and built anew, no cache;
 *  - `builds` (`synth --check`): every folder rendered and checked, builds
 *    the kustomize cache remembers not run again;
 *  - `all` (publish, diff): besides, folders `dist/` holds as rendered from
 *    the same input by the same code are taken from there.
 */
export async function validate(
  options: Omit<SynthOptions, 'outDir'> & { readonly reuse?: 'nothing' | 'builds' | 'all' },
): Promise<{ services: number; objects: number; rendered: RenderResult }> {
  const reuse = options.reuse ?? 'all';
  const projectDir = resolve(options.projectDir);
  const rendered = await renderProject(projectDir, options.renderers, options.onPhase, {
    provenFrom: reuse === 'all' ? join(projectDir, 'dist') : undefined,
  });
  if (options.kustomize !== false) {
    const phase = phaseTimer(options.onPhase);
    // A folder of its own (mkdtemp): removing it afterwards can never take anything else with it.
    const scratch = mkdtempSync(join(tmpdir(), 'gitops-synth-validate-'));
    try {
      writeFiles(scratch, rendered.tree);
      phase('write', { folders: rendered.kustomizeFolders.length, files: rendered.tree.size });
      const failures = await kustomizeBuildAll(scratch, rendered.kustomizeFolders, {
        project: rendered.context.project.root,
        ...(reuse === 'nothing' ? { cacheDir: null } : {}),
      });
      if (failures.length) throw new ValidationError(failures);
      phase('kustomize');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }
  return { services: serviceCount(rendered), objects: rendered.objectCount, rendered };
}

/** Writes every file of `tree` below `root` (a fresh folder). */
function writeFiles(root: string, tree: RenderedTree): void {
  const made = new Set<string>();
  for (const [path, content] of tree.entries()) {
    const dir = dirname(join(root, path));
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    writeFileSync(join(root, path), content, { mode: tree.isExecutable(path) ? 0o755 : 0o644 });
  }
}
