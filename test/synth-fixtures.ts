import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import { parse } from 'yaml';
import { renderProject } from '../src/pipeline/pipeline.js';
import { REPO, tempDir } from './helpers.js';

/**
 * Purpose-made projects and readers of rendered trees for the tests of
 * what synth writes (constructs, synth output, atomic writes, CLI).
 */

/** A Kubernetes object as parsed from a rendered file. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
};

/** An environment file with no resource defaults, so nothing in the output comes from anywhere but the spec. */
export function environmentYaml(name: string, extra = ''): string {
  return [
    `namespace: team-${name}`,
    `domain: ${name}.example.org`,
    'cluster: https://kubernetes.default.svc',
    'storageClass: fast-ssd',
    'ingress:',
    `  className: ingress-${name}`,
    '  tls:',
    `    clusterIssuer: issuer-${name}`,
    `imagePolicy: {strategy: ${name === 'prod' ? 'semver' : 'newest-build'}}`,
    // The NetworkPolicies admit the ingress controller by namespace, known only for the nginx class.
    `network: {ingressNamespace: ingress-${name}}`,
    extra,
  ].join('\n');
}

/**
 * A temporary folder that lives for the whole test file (tempDir() folders are
 * removed after each test). Call at the top level of a test file.
 */
export function suiteDir(prefix = 'gitops-synth-suite-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The shipped example's apps/ and environments/ copied into `dir` (like copyExample(), for a suiteDir()). */
export function copyExampleInto(dir: string): string {
  for (const part of ['apps', 'environments']) cpSync(join(REPO, part), join(dir, part), { recursive: true });
  return dir;
}

/** Project settings of purpose-made projects (explicit repository, so nothing depends on a git remote). */
export const SETTINGS_YAML = 'project: testshop\nrepository: {url: https://github.com/acme/testshop-deploy.git}\n';

/** Writes `files` (relative path → content) under `dir`, in the given order. */
export function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return dir;
}

/**
 * A project in a temporary folder: the given apps (name → YAML) with a
 * `stage` and a `prod` environment (unless `environments` replaces them).
 */
export function makeProject(
  apps: Record<string, string>,
  environments: Record<string, string> = { stage: environmentYaml('stage'), prod: environmentYaml('prod') },
): string {
  const files: Record<string, string> = { 'environments/_settings.yaml': SETTINGS_YAML };
  for (const [env, yaml] of Object.entries(environments)) files[`environments/${env}.yaml`] = yaml;
  for (const [name, yaml] of Object.entries(apps)) files[`apps/${name}.yaml`] = yaml;
  return writeFiles(tempDir('gitops-synth-project-'), files);
}

/** The rendered tree of a project in memory: path → content, and every object file parsed. */
export async function renderFiles(
  projectDir: string,
): Promise<{ files: Map<string, string>; objects: Map<string, K8sObject> }> {
  const { tree } = await renderProject(projectDir);
  const files = new Map(tree.entries());
  return { files, objects: parseObjectFiles(files) };
}

/** Every file below `dir` by relative path, with its bytes as UTF-8 (dotfiles included). */
export function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(full).isDirectory()) walk(full, r);
      else out.set(r, readFileSync(full, 'utf8'));
    }
  };
  walk(dir, '');
  return out;
}

/** Object files of service folders (`<env>/<service>/<kind>-<name>.yaml`), parsed. */
export function parseObjectFiles(files: Map<string, string>): Map<string, K8sObject> {
  const out = new Map<string, K8sObject>();
  for (const [path, content] of files) {
    const parts = path.split('/');
    if (parts.length !== 3 || !path.endsWith('.yaml') || parts[2] === 'kustomization.yaml' || parts[2]!.startsWith('.'))
      continue;
    out.set(path, parse(content) as K8sObject);
  }
  return out;
}

/** `<env>/<service>` folders holding an app.json, sorted. */
export function serviceFolders(files: Map<string, string>): string[] {
  return [...files.keys()]
    .filter((p) => /^[^/]+\/[^/]+\/app\.json$/.test(p))
    .map((p) => p.slice(0, -'/app.json'.length))
    .sort();
}

/** Objects of one service folder. */
export function objectsIn(objects: Map<string, K8sObject>, folder: string): K8sObject[] {
  return [...objects].filter(([p]) => p.startsWith(`${folder}/`)).map(([, o]) => o);
}

/** The one object of a kind (and name) in a folder; throws when there is not exactly one. */
export function only(objects: Map<string, K8sObject>, folder: string, kind: string, name?: string): K8sObject {
  const found = objectsIn(objects, folder).filter(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''} in ${folder}, found ${found.length}`);
  return found[0]!;
}

export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'Job'];

/** Pod spec of a Deployment, StatefulSet or Job. */
export function podSpec(o: K8sObject): K8sObject['spec'] {
  return o.spec.template.spec;
}

/** Every container of a pod spec, init containers included. */
export function allContainers(o: K8sObject): K8sObject[] {
  const spec = podSpec(o);
  return [...(spec.initContainers ?? []), ...spec.containers];
}

/** Whether a Service/PDB selector (matchLabels) picks pods with these labels. */
export function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}
