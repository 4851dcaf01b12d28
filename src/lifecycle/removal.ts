import { applicationName } from '../argocd/names.js';
import { shellQuote } from '../bootstrap/shell.js';
import { formatProblem, type SpecProblem } from '../spec/errors.js';
import type { LoadedProject } from '../spec/load.js';
import { ownedClaims, type OwnedClaim } from './claims.js';
import { LifecycleError } from './errors.js';
import {
  commitChange,
  findService,
  loadValidProject,
  specPath,
  type ChangeResult,
  type RenderOptions,
} from './project.js';

/** The finalizer that makes deleting an Application delete its resources (those without Delete=false). */
export const CASCADE_FINALIZER = 'resources-finalizer.argocd.argoproj.io';
const DEFAULT_ARGOCD_NAMESPACE = 'argocd';

/**
 * `app remove`: what removing a service means, worked out before anything
 * changes. The spec file goes; what stays in the cluster is named: its claims
 * (Argo CD never prunes or deletes them: Prune=false,Delete=false) and the
 * Argo CD Applications, which the ApplicationSets keep because they run with
 * `applicationsSync: create-update`.
 */
export interface RemovalPlan {
  readonly service: string;
  /** The spec, relative to the project. */
  readonly file: string;
  readonly projectRoot: string;
  readonly argocdNamespace: string;
  /** The environments the service runs in, in the project's order. */
  readonly environments: readonly RemovedFrom[];
}

export interface RemovedFrom {
  readonly environment: string;
  readonly namespace: string;
  /** The Argo CD Application `<service>-<env>`. */
  readonly application: string;
  readonly claims: readonly OwnedClaim[];
}

/** Refuses (LifecycleError) when another service still references this one, naming every reference. */
export function planRemoval(projectDir: string, name: string): RemovalPlan {
  const { project, resolved } = loadValidProject(projectDir);
  const svc = findService(project, name);
  const refs = referencesTo(project, name);
  if (refs.length) {
    throw new LifecycleError(
      `cannot remove service "${name}": other services still use it; ` +
        'remove these references first (nothing was changed):\n' +
        refs.map((r) => `  ${formatProblem(r)}`).join('\n'),
    );
  }
  const environments: RemovedFrom[] = [];
  for (const env of resolved.environments) {
    const running = resolved.services.get(env.name)?.find((s) => s.name === name);
    if (!running) continue;
    environments.push({
      environment: env.name,
      namespace: env.namespace,
      application: applicationName(name, env.name),
      claims: ownedClaims(running),
    });
  }
  return {
    service: name,
    file: svc.source.file,
    projectRoot: project.root,
    argocdNamespace: project.settings.spec.argocd?.namespace ?? DEFAULT_ARGOCD_NAMESPACE,
    environments,
  };
}

/** Removes the spec file and renders the project; on any failure the file is put back. */
export async function removeService(plan: RemovalPlan, render: RenderOptions = {}): Promise<ChangeResult> {
  const { project } = loadValidProject(plan.projectRoot);
  const path = specPath(project, findService(project, plan.service));
  // The user named the service: its folders may go from every environment, however few services are left.
  return commitChange(plan.projectRoot, (files) => files.remove(path), {
    ...render,
    removals: { removing: plan.service },
  });
}

/**
 * Where other services name this one: `dependsOn`, `volumes[].from`, and
 * `${service:<name>}` in env values and files, at the top and under
 * `environments.<env>`.
 */
export function referencesTo(project: LoadedProject, name: string): SpecProblem[] {
  const out: SpecProblem[] = [];
  const reference = `\${service:${name}}`;
  for (const other of project.services) {
    if (other.name === name) continue;
    const at = (path: (string | number)[], message: string) => out.push(other.source.problem(path, message));
    const visit = (fields: Record<string, unknown> | null | undefined, base: (string | number)[]): void => {
      if (!fields) return;
      (Array.isArray(fields.dependsOn) ? fields.dependsOn : []).forEach((d: unknown, i) => {
        if (d === name) at([...base, 'dependsOn', i], `waits for "${name}" at start-up (dependsOn)`);
      });
      (Array.isArray(fields.volumes) ? fields.volumes : []).forEach((v: { name?: string; from?: string }, i) => {
        if (v?.from === name) at([...base, 'volumes', i, 'from'], `mounts the volume "${v.name}" of "${name}"`);
      });
      for (const key of ['env', 'files'] as const) {
        for (const [k, value] of Object.entries((fields[key] as Record<string, unknown> | null | undefined) ?? {})) {
          if (typeof value === 'string' && value.includes(reference))
            at([...base, key, k], `uses its address ${reference}`);
        }
      }
    };
    const spec = other.spec as Record<string, unknown> & {
      environments?: Record<string, Record<string, unknown> | null>;
    };
    visit(spec, []);
    for (const [env, override] of Object.entries(spec.environments ?? {})) visit(override, ['environments', env]);
  }
  return out;
}

/**
 * kubectl commands that delete the service's Applications together with their workloads (claims stay: Delete=false).
 */
export function applicationDeletionCommands(plan: RemovalPlan): string[] {
  return plan.environments.flatMap((e) => [
    `kubectl -n ${plan.argocdNamespace} patch application ${e.application} --type merge -p ` +
      `'{"metadata":{"finalizers":["${CASCADE_FINALIZER}"]}}'`,
    `kubectl -n ${plan.argocdNamespace} delete application ${e.application} --ignore-not-found --wait --timeout=10m`,
  ]);
}

/** The variable that confirms the kubectl context when the purge script runs without a terminal. */
export const PURGE_CONTEXT_VARIABLE = 'PURGE_CONTEXT';

/**
 * The start of the purge script: the kubectl context and cluster, what will
 * be deleted there, and a confirmation that names the context (a `y` typed
 * out of habit against the wrong cluster deletes nothing). Every later
 * kubectl command is pinned to the confirmed context.
 */
function confirmContext(plan: RemovalPlan): string[] {
  const what = plan.environments.flatMap((e) => [
    `  Argo CD Application ${e.application} (namespace ${plan.argocdNamespace}) and its workloads`,
    ...e.claims.map((c) =>
      c.claimName
        ? `  PersistentVolumeClaim ${c.claimName} in namespace ${c.namespace}, with ALL ITS DATA`
        : `  every PersistentVolumeClaim of template ${c.template!.name} of StatefulSet ` +
          `${c.template!.statefulSet} in namespace ${c.namespace}, with ALL THEIR DATA`,
    ),
  ]);
  const v = PURGE_CONTEXT_VARIABLE;
  return [
    '# 0. Which cluster: shown, and confirmed by typing its context name.',
    'context=$(kubectl config current-context) || { echo "kubectl has no current context: nothing was ' +
      'deleted" >&2; exit 1; }',
    "server=$(kubectl config view --minify -o 'jsonpath={.clusters[0].cluster.server}' 2>/dev/null) || server=unknown",
    'echo "kubectl context: $context (cluster $server)"',
    `echo ${shellQuote(`This deletes, for service ${plan.service}:`)}`,
    ...what.map((l) => `echo ${shellQuote(l)}`),
    `if [ "\${${v}:-}" != "$context" ]; then`,
    '  if [ ! -t 0 ]; then',
    `    echo "not a terminal, so not asking: run it from a terminal, or set ${v}=$context to confirm ` +
      `this context; nothing was deleted" >&2`,
    '    exit 1',
    '  fi',
    '  read -r -p "Type the context name ($context) to delete all of this: " answer',
    '  if [ "$answer" != "$context" ]; then',
    '    echo "not confirmed: nothing was deleted" >&2',
    '    exit 1',
    '  fi',
    'fi',
    '# From here on, every kubectl command talks to the confirmed context, whatever the current one becomes.',
    'kubectl() { command kubectl --context "$context" "$@"; }',
  ];
}

/**
 * A bash script that deletes exactly the service's claims: what
 * `--purge-volumes` emits. The generator cannot reach a cluster, and a
 * deletion of data belongs in a file a person reads before running, so the
 * script is printed, not run. It deletes the Applications first (their pods
 * hold the claims), then each claim by exact name, or, for a StatefulSet,
 * every claim of its template by the service's instance label and the
 * template's name pattern.
 */
export function purgeScript(plan: RemovalPlan): string {
  const lines = [
    '#!/usr/bin/env bash',
    `# Deletes the volumes (and ALL THEIR DATA) of service "${plan.service}", removed from the specs`,
    `# by \`gitops-synth app remove ${plan.service} --purge-volumes\`.`,
    '#',
    '# Run it only after the removal is published to the devops repository: until then the',
    '# ApplicationSets still generate the Applications below and would re-create them.',
    '# Needs kubectl pointed at the cluster, with rights on Applications and PersistentVolumeClaims.',
    '# It shows the kubectl context and what it deletes, and goes ahead only when the context name is',
    `# typed (or, without a terminal, given as ${PURGE_CONTEXT_VARIABLE}=<context>); every command then ` +
      `uses that context.`,
    '# A PersistentVolume whose reclaim policy is Retain outlives its claim; delete it by hand.',
    'set -euo pipefail',
    '',
  ];
  if (!plan.environments.length) lines.push(`echo 'service ${plan.service} runs in no environment: nothing to delete'`);
  else {
    lines.push(...confirmContext(plan), '');
    lines.push(
      '# 1. The Argo CD Applications, with their workloads; the claims carry Delete=false and stay for step 2.',
    );
    for (const e of plan.environments) {
      lines.push(
        `app=$(kubectl -n ${plan.argocdNamespace} get application ${e.application} --ignore-not-found -o name)`,
        'if [ -n "$app" ]; then',
        `  kubectl -n ${plan.argocdNamespace} patch "$app" --type merge -p ` +
          `'{"metadata":{"finalizers":["${CASCADE_FINALIZER}"]}}'`,
        `  kubectl -n ${plan.argocdNamespace} delete "$app" --wait --timeout=10m`,
        'fi',
      );
    }
    lines.push('', '# 2. The claims. Each deletion completes once no pod uses the claim any more.');
    const claims = plan.environments.flatMap((e) => e.claims);
    if (!claims.length) lines.push(`echo 'service ${plan.service} owns no volumes: no claims to delete'`);
    for (const c of claims) {
      if (c.claimName) {
        lines.push(
          `kubectl -n ${c.namespace} delete persistentvolumeclaim ${c.claimName} --ignore-not-found --timeout=10m`,
        );
        continue;
      }
      const t = c.template!;
      lines.push(
        `# StatefulSet ${t.statefulSet} in ${c.environment}: one claim per replica from template ` +
          `"${t.name}", kept on scale-down.`,
        `kubectl -n ${c.namespace} get persistentvolumeclaim -l ` +
          `app.kubernetes.io/instance=${c.instanceLabel} -o name \\`,
        `  | { grep -E '^persistentvolumeclaim/${t.name}-${t.statefulSet}-[0-9]+$' || true; } \\`,
        // A loop rather than xargs, so the deletion goes through the kubectl pinned to the confirmed context.
        `  | while read -r claim; do kubectl -n ${c.namespace} delete "$claim" --ignore-not-found --timeout=10m; done`,
      );
    }
  }
  lines.push('', `echo 'done: the volumes of ${plan.service} are deleted'`);
  return `${lines.join('\n')}\n`;
}
