import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { LifecycleError } from './errors.js';
import {
  checkEnvironment,
  commitChange,
  findService,
  loadValidProject,
  specPath,
  type ChangeResult,
  type ValidProject,
  type RenderOptions,
} from './project.js';
import { deleteEntry, setScalar } from './yaml-edit.js';
import { ownValue } from '../util/own.js';

/**
 * `app suspend` / `app resume`: the `suspended` key of the service spec, at
 * the top (every environment) or under `environments.<env>`. The resolver
 * turns it into replicas 0 without autoscaler, disruption budget or migration
 * Job; volumes, config and image stay. Resume removes exactly the key
 * suspend wrote (and the `environments.<env>:` mappings it had to create), so
 * the spec reads byte for byte as before.
 */
export interface SuspensionResult {
  readonly service: string;
  /** The spec, relative to the project. */
  readonly file: string;
  /** The environments the command is about. */
  readonly environments: readonly string[];
  /** Set when nothing had to change: why. */
  readonly unchanged?: string;
  readonly change?: ChangeResult;
  /** Environments where the service is suspended after the command. */
  readonly suspendedIn: readonly string[];
  /** Services that wait for this one at start-up (dependsOn), per environment. */
  readonly dependents: readonly { readonly environment: string; readonly service: string }[];
}

/** What the spec says, read loosely (the file already passed validation). */
interface SuspensionView {
  suspended?: boolean | null;
  environments?: Record<string, { suspended?: boolean | null; enabled?: boolean } | null>;
}

export function suspendedIn(spec: SuspensionView, env: string): boolean {
  const override = ownValue(spec.environments, env);
  if (override && override.suspended !== undefined) return override.suspended === true;
  return spec.suspended === true;
}

function deployedIn(spec: SuspensionView, env: string): boolean {
  return ownValue(spec.environments, env)?.enabled !== false;
}

export async function suspendService(
  projectDir: string,
  name: string,
  env?: string,
  render: RenderOptions = {},
): Promise<SuspensionResult> {
  return change(projectDir, name, env, render, 'suspend', (text, spec, targets) => {
    if (targets.every((e) => suspendedIn(spec, e))) return { unchanged: `already suspended in ${targets.join(', ')}` };
    return {
      text: env
        ? setScalar(text, ['environments', env, 'suspended'], true)
        : setScalar(text, ['suspended'], true, { before: 'environments' }),
    };
  });
}

export async function resumeService(
  projectDir: string,
  name: string,
  env?: string,
  render: RenderOptions = {},
): Promise<SuspensionResult> {
  return change(projectDir, name, env, render, 'resume', (text, spec, targets, file) => {
    if (targets.every((e) => !suspendedIn(spec, e))) return { unchanged: `not suspended in ${targets.join(', ')}` };
    if (env) {
      if (spec.suspended === true) {
        throw new LifecycleError(
          `service "${name}" is suspended in every environment (suspended: true at the top of ${file}); ` +
            `resume it everywhere with gitops-synth app resume ${name}, then suspend the environments that ` +
            'should stay off with --env',
        );
      }
      return { text: deleteEntry(text, ['environments', env, 'suspended']) };
    }
    let out = spec.suspended === true ? deleteEntry(text, ['suspended']) : text;
    for (const [e, override] of Object.entries(spec.environments ?? {}))
      if (override?.suspended === true) out = deleteEntry(out, ['environments', e, 'suspended']);
    return { text: out };
  });
}

type Edit = (
  text: string,
  spec: SuspensionView,
  targets: string[],
  file: string,
) => { text: string; unchanged?: undefined } | { unchanged: string; text?: undefined };

async function change(
  projectDir: string,
  name: string,
  env: string | undefined,
  render: RenderOptions,
  verb: 'suspend' | 'resume',
  edit: Edit,
): Promise<SuspensionResult> {
  const valid = loadValidProject(projectDir);
  const { project } = valid;
  checkEnvironment(project, env);
  const svc = findService(project, name);
  const path = specPath(project, svc);
  const text = readFileSync(path, 'utf8');
  const spec = svc.spec as SuspensionView;
  const all = project.environments.map((e) => e.name);
  if (env && !deployedIn(spec, env))
    throw new LifecycleError(
      `service "${name}" does not run in ${env} (environments.${env}.enabled: false in ${svc.source.file}); ` +
        `nothing to ${verb}`,
    );
  const targets = env ? [env] : all.filter((e) => deployedIn(spec, e));
  if (!targets.length)
    throw new LifecycleError(`service "${name}" runs in no environment (enabled: false in each); nothing to ${verb}`);

  const result = edit(text, spec, targets, svc.source.file);
  const base = {
    service: name,
    file: svc.source.file,
    environments: targets,
    dependents: dependents(valid, name, targets),
  };
  if (result.unchanged !== undefined)
    return { ...base, unchanged: result.unchanged, suspendedIn: targets.filter((e) => suspendedIn(spec, e)) };
  const after = (parse(result.text) ?? {}) as SuspensionView;
  const committed = await commitChange(project.root, (files) => files.write(path, result.text), render);
  return { ...base, change: committed, suspendedIn: all.filter((e) => deployedIn(after, e) && suspendedIn(after, e)) };
}

function dependents(
  { resolved }: ValidProject,
  name: string,
  environments: readonly string[],
): { environment: string; service: string }[] {
  return environments.flatMap((environment) =>
    (resolved.services.get(environment) ?? [])
      .filter((s) => s.dependsOn.some((d) => d.service === name))
      .map((s) => ({ environment, service: s.name })),
  );
}
