import { join, resolve } from 'node:path';
import { resolvePartialProject, type ResolvedProject } from '../resolve/resolve.js';
import { loadProjectPartially, type LoadedProject, type LoadedService } from '../spec/load.js';
import { synth, type SynthOptions, type SynthResult } from '../pipeline/pipeline.js';
import { LifecycleError } from './errors.js';
import { FileTransaction } from './file-transaction.js';
import { unknownName } from '../spec/suggest.js';

/**
 * A project whose specs load and resolve: every lifecycle command starts from one (or reports its problems and stops).
 */
export interface ValidProject {
  readonly project: LoadedProject;
  readonly resolved: ResolvedProject;
}

export function loadValidProject(projectDir: string): ValidProject {
  // As synth does: the files' own problems and those between the files that loaded, in one report.
  const loaded = loadProjectPartially(resolve(projectDir));
  return { project: loaded.project, resolved: resolvePartialProject(loaded) };
}

export function findService(project: LoadedProject, name: string): LoadedService {
  const svc = project.services.find((s) => s.name === name);
  if (!svc) {
    const names = project.services.map((s) => s.name);
    throw new LifecycleError(
      `unknown service "${name}"${unknownName(name, names, 'a service of apps/, which holds none')}`,
    );
  }
  return svc;
}

/** Absolute path of a loaded spec file. */
export function specPath(project: LoadedProject, svc: LoadedService): string {
  return join(project.root, svc.source.file);
}

/** Checks `--env`; the message is the one the specs give for an unknown environment. */
export function checkEnvironment(project: LoadedProject, env: string | undefined): void {
  if (env === undefined) return;
  const names = project.environments.map((e) => e.name);
  if (!names.includes(env))
    throw new LifecycleError(
      `--env ${JSON.stringify(env)}: unknown environment "${env}"` +
        unknownName(env, names, 'an environment of environments/'),
    );
}

export interface ChangeResult {
  /** Absolute paths of the files the change wrote or removed. */
  readonly files: readonly string[];
  readonly synth: SynthResult;
}

/** What a command that changes the specs and renders the project may ask of the render. */
export interface RenderOptions {
  /** Told each stage of the render as it starts and ends (the CLI's progress line). */
  readonly onPhase?: SynthOptions['onPhase'];
}

/**
 * Makes a change to the spec files and renders the project. When anything
 * fails — the change itself, validation of the changed specs, synth — or the
 * process is interrupted, every file the change touched is put back as it
 * was; synth swaps dist/ in atomically, so it is either the old or the new
 * tree.
 */
export async function commitChange(
  projectDir: string,
  change: (files: FileTransaction) => void,
  options: Pick<SynthOptions, 'removals' | 'onPhase'> = {},
): Promise<ChangeResult> {
  const files = new FileTransaction();
  const interrupted = (signal: NodeJS.Signals): void => {
    files.rollback();
    process.stderr.write(`gitops-synth: interrupted (${signal}); the spec files were put back as they were\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    change(files);
    const result = await synth({ ...options, projectDir: resolve(projectDir) });
    return { files: files.paths, synth: result };
  } catch (err) {
    files.rollback();
    throw err;
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}
