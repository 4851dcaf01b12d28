import { existsSync, lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { APPS_DIR, ENVIRONMENTS_DIR, OUTPUT_FOLDERS } from './layout.js';
import { basename, join, relative } from 'node:path';
import { ProblemList, type SpecProblem } from './errors.js';
import { environmentFileSchema, type EnvironmentFile } from './environment-schema.js';
import { serviceFileSchema, type ServiceFile } from './service-schema.js';
import { SETTINGS_FILE, settingsFileSchema, type SettingsFile } from './settings-schema.js';
import { readSpecText } from './read-spec.js';
import { SourceFile } from './source.js';
import type { SpecCache, SpecKind } from './spec-cache.js';
import { dnsLabel, serviceName } from './fields.js';
import { overrideIssues } from './overrides.js';
import { type FieldIssue, validateWith } from './zod-problems.js';
import type { z } from 'zod';
import { codeUnitOrder } from '../util/order.js';
import { unknownName } from './suggest.js';

export interface LoadedService {
  readonly name: string;
  readonly source: SourceFile;
  readonly spec: ServiceFile;
  /** What is wrong with the merged fields of each environment the file overrides (overrides.ts), by environment. */
  readonly overrideIssues: ReadonlyMap<string, readonly FieldIssue[]>;
}

export interface LoadedEnvironment {
  readonly name: string;
  readonly source: SourceFile;
  readonly spec: EnvironmentFile;
}

export interface LoadedSettings {
  /** Absent when the settings file is missing or failed to load (a problem says so). */
  readonly source?: SourceFile;
  readonly spec: SettingsFile;
}

/** Every spec of a project, parsed and checked one file at a time. */
export interface LoadedProject {
  readonly root: string;
  readonly settings: LoadedSettings;
  /** Sorted by name. */
  readonly environments: readonly LoadedEnvironment[];
  /** Sorted by name. */
  readonly services: readonly LoadedService[];
}

export interface LoadOptions {
  /** Checked data of files read before, by text; saved at the end of the load. @default none: every file is parsed */
  readonly cache?: SpecCache;
}

/**
 * What the spec files that failed to load would have defined. Checks between
 * files that need one of them are skipped rather than reported: a reference
 * to a service whose file is broken is not a second mistake.
 */
export interface UnloadedSpecs {
  /** Names of services whose file has a problem of its own: the file name, and its `name:` when one is written. */
  readonly services: ReadonlySet<string>;
  /** Names of environments whose file has a problem of its own. */
  readonly environments: ReadonlySet<string>;
  /** Whether the settings file has a problem of its own (its defaults stand in for it). */
  readonly settings: boolean;
}

/**
 * A load that went on past files with problems of their own, so that the
 * checks between the files that did load can run in the same run.
 */
export interface PartialProject {
  /** The files with no problem of their own; every file when `problems` is empty. */
  readonly project: LoadedProject;
  /** Every problem of single files (unsorted). Whenever a file is left out, there is at least one. */
  readonly problems: readonly SpecProblem[];
  readonly unloaded: UnloadedSpecs;
}

/**
 * Reads `apps/*.yaml`, `environments/*.yaml` and the settings file under
 * `root`. Throws a SpecError listing every problem of every file; checks that
 * need several services at once (references, cycles, hosts) are in `resolve/`.
 */
export function loadProject(root: string, options: LoadOptions = {}): LoadedProject {
  const { project, problems } = loadProjectPartially(root, options);
  const list = new ProblemList();
  problems.forEach((p) => list.add(p));
  list.throwIfAny();
  return project;
}

/**
 * Like loadProject, but returns the files' problems instead of throwing,
 * together with the files that loaded without any (resolvePartialProject
 * checks those against each other and reports both).
 */
export function loadProjectPartially(root: string, options: LoadOptions = {}): PartialProject {
  try {
    return load(root, options);
  } finally {
    options.cache?.save();
  }
}

function load(root: string, { cache }: LoadOptions): PartialProject {
  const problems = new ProblemList();
  const unloadedServices = new Set<string>();
  const unloadedEnvironments = new Set<string>();
  /** Names two files claim: which one was meant is unknown, so neither is checked against the others. */
  const claimedTwice = { environments: new Set<string>(), services: new Set<string>() };
  /**
   * A file parsed and checked against its schema, or taken from the cache when its text was checked before.
   * Undefined when it has a problem; then `unloaded` gets the file name and the `name:` written in it.
   */
  const read = <T, D = undefined>(
    abs: string,
    kind: SpecKind,
    schema: z.ZodType<T>,
    unloaded?: Set<string>,
    /** What else the file alone decides, worked out once and remembered with its data. */
    derive: (value: T) => D = () => undefined as D,
  ): { source: SourceFile; value: T; derived: D } | undefined => {
    const file = relative(root, abs) || abs;
    const read = readSpecText(abs, file, rootReal);
    if ('problem' in read) {
      problems.add(read.problem);
      unloaded?.add(basename(abs, '.yaml'));
      return undefined;
    }
    const { text } = read;
    const known = cache?.lookup(kind, text) as { value: T; derived: D } | undefined;
    if (known !== undefined) return { source: SourceFile.unparsed(abs, root, text), ...known };
    const failed = (written?: unknown): undefined => {
      unloaded?.add(basename(abs, '.yaml'));
      if (typeof written === 'string') unloaded?.add(written);
      return undefined;
    };
    // The data SourceFile.parse converted (it converts to find bad
    // aliases) is the data validated: each document is converted once.
    const { source, problems: syntax, data } = SourceFile.parse(abs, root, text);
    syntax.forEach((p) => problems.add(p));
    if (syntax.length) return failed();
    const { value, problems: p } = validateWith(schema, source, data);
    p.forEach((x) => problems.add(x));
    if (value === undefined) return failed((data as { name?: unknown } | null)?.name);
    const derived = derive(value);
    if (p.length === 0) cache?.record(kind, text, { value, derived });
    return { source, value, derived };
  };

  const envDir = join(root, ENVIRONMENTS_DIR);
  const appsDir = join(root, APPS_DIR);
  const folderProblem = (dir: string, label: string, expected: string): void => {
    const problem = missingFolder(dir, expected);
    if (problem) problems.add({ file: label, field: '', message: problem });
  };
  folderProblem(envDir, ENVIRONMENTS_DIR, 'environments/<env>.yaml for each environment');
  folderProblem(appsDir, APPS_DIR, 'apps/<service>.yaml for each service');
  // Symbolic links inside the project are followed; spec files outside it are never read.
  let rootReal = root;
  try {
    rootReal = realpathSync(root);
  } catch {
    // The folder problems above already say it is missing.
  }
  if (problems.length) {
    // Nothing is checked across files without both folders: the project is empty.
    const empty: LoadedProject = { root, settings: { spec: {} }, environments: [], services: [] };
    return {
      project: empty,
      problems: problems.toArray(),
      unloaded: { services: unloadedServices, environments: unloadedEnvironments, settings: true },
    };
  }

  const settingsPath = join(envDir, SETTINGS_FILE);
  let settings: LoadedSettings = { spec: {} };
  // A settings file spelled .yml is not read either: the defaults stand in for it all the same.
  let settingsTroubled = existsSync(settingsPath.replace(/\.yaml$/, '.yml'));
  // Present even as a broken symbolic link: then reading it says so, rather than the defaults standing in silently.
  if (isPresent(settingsPath)) {
    const checked = read(settingsPath, 'settings', settingsFileSchema);
    if (checked) settings = { source: checked.source, spec: checked.value };
    else settingsTroubled = true;
  } else if (!settingsTroubled) {
    // Without it there is no devops repository for Argo CD to read (and no SSO): never guessed.
    settingsTroubled = true;
    problems.add({
      file: `${ENVIRONMENTS_DIR}/${SETTINGS_FILE}`,
      field: '',
      message:
        'the project settings file is missing; expected it with at least the devops repository Argo CD reads: ' +
        'repository: {url: https://github.com/org/deploy.git}',
    });
  }

  const environments: LoadedEnvironment[] = [];
  const environmentFiles = yamlFiles(envDir, problems, ENVIRONMENTS_DIR, unloadedEnvironments).filter(
    (f) => f !== SETTINGS_FILE,
  );
  for (const file of environmentFiles) {
    const checked = read(join(envDir, file), 'environment', environmentFileSchema, unloadedEnvironments);
    if (!checked) continue;
    const { source, value } = checked;
    const name = value.name ?? basename(file, '.yaml');
    if (!value.name) checkFileName(name, 'environment', source, problems);
    checkEnvironmentName(name, source, problems);
    const dup = environments.find((e) => e.name === name);
    if (dup) {
      problems.add(duplicateName('environment', name, source, dup.source));
      claimedTwice.environments.add(name);
    } else environments.push({ name, source, spec: value });
  }

  const services: LoadedService[] = [];
  // By name, for the duplicate check: a scan of the list per file is quadratic in the number of services.
  const serviceByName = new Map<string, LoadedService>();
  for (const file of yamlFiles(appsDir, problems, APPS_DIR, unloadedServices)) {
    const checked = read(join(appsDir, file), 'service', serviceFileSchema, unloadedServices, overrideIssues);
    if (!checked) continue;
    const { source, value, derived } = checked;
    const name = value.name ?? basename(file, '.yaml');
    if (!value.name) checkFileName(name, 'service', source, problems);
    const dup = serviceByName.get(name);
    if (dup) {
      problems.add(duplicateName('service', name, source, dup.source));
      claimedTwice.services.add(name);
    } else {
      const service = { name, source, spec: value, overrideIssues: derived };
      services.push(service);
      serviceByName.set(name, service);
    }
  }

  const envNames = environments.map((e) => e.name);
  // An environment whose file failed to load (or is spelled .yml)
  // still exists: naming it in a service is not a second mistake.
  const envFileNames = environmentFiles.map((f) => basename(f, '.yaml'));
  if (existsSync(envDir) && environments.length === 0 && problems.length === 0) {
    problems.add({
      file: ENVIRONMENTS_DIR,
      field: '',
      message: 'no environment is defined; expected at least one environments/<env>.yaml',
    });
  }
  for (const svc of services) {
    for (const env of Object.keys(svc.spec.environments ?? {})) {
      if (!envNames.includes(env) && !envFileNames.includes(env) && !unloadedEnvironments.has(env)) {
        problems.add(
          svc.source.problem(
            ['environments', env],
            `unknown environment "${env}"${unknownName(env, envNames, 'an environment of environments/')}`,
            true,
          ),
        );
      }
    }
  }

  // A file with any problem of its own is left out of the checks
  // across files, and so is every file of a name claimed twice.
  const troubled = new Set(problems.toArray().map((p) => p.file));
  const usable = <T extends { name: string; source: SourceFile }>(
    specs: T[],
    twice: ReadonlySet<string>,
    unloaded: Set<string>,
  ): T[] =>
    specs.filter((s) => {
      const left = troubled.has(s.source.file) || twice.has(s.name);
      if (left) unloaded.add(s.name);
      return !left;
    });
  const loadedEnvironments = usable(environments, claimedTwice.environments, unloadedEnvironments);
  const loadedServices = usable(services, claimedTwice.services, unloadedServices);

  const byName = <T extends { name: string }>(a: T, b: T) => codeUnitOrder(a.name, b.name);
  return {
    project: { root, settings, environments: loadedEnvironments.sort(byName), services: loadedServices.sort(byName) },
    problems: problems.toArray(),
    unloaded: { services: unloadedServices, environments: unloadedEnvironments, settings: settingsTroubled },
  };
}

/**
 * Why `dir` cannot be read as a folder of specs (missing, or not a folder),
 * saying where it was looked for; undefined when it can.
 */
function missingFolder(dir: string, expected: string): string | undefined {
  let isFolder: boolean;
  try {
    isFolder = statSync(dir).isDirectory();
  } catch {
    return `the folder is missing (looked for ${dir}); expected ${expected}, or --project naming the project folder`;
  }
  return isFolder ? undefined : `is not a folder (${dir}); expected a folder holding ${expected}`;
}

/**
 * `.yaml` files of a folder in a stable order; other YAML spellings are
 * reported, not skipped silently, and what they would define goes to `unloaded`.
 */
function yamlFiles(dir: string, problems: ProblemList, label: string, unloaded: Set<string>): string[] {
  if (!existsSync(dir)) return [];
  const names = readdirSync(dir).sort();
  for (const n of names) {
    if (n.endsWith('.yml')) {
      problems.add({
        file: `${label}/${n}`,
        field: '',
        message:
          'files ending in .yml are not read; expected the extension .yaml (rename it to ' +
          `${n.slice(0, -'.yml'.length)}.yaml)`,
      });
      unloaded.add(n.slice(0, -'.yml'.length));
    }
  }
  return names.filter((n) => n.endsWith('.yaml') && !n.startsWith('.'));
}

/**
 * Two files claim one name. Points at the file that spells the name out with
 * `name:` (the likelier mistake); otherwise at the later file.
 */
function duplicateName(kind: string, name: string, later: SourceFile, earlier: SourceFile): SpecProblem {
  const [at, other] = !later.has(['name']) && earlier.has(['name']) ? [earlier, later] : [later, earlier];
  return at.problem(
    ['name'],
    `duplicate ${kind} name "${name}": also used by ${other.file}; expected each ${kind} name once`,
  );
}

function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function checkFileName(name: string, kind: 'service' | 'environment', source: SourceFile, problems: ProblemList): void {
  const r = (kind === 'service' ? serviceName : dnsLabel).safeParse(name);
  if (!r.success) {
    const what =
      kind === 'service'
        ? 'a DNS-1035 label, as a Service name must be; expected lower-case letters, digits and "-", starting ' +
          'with a letter'
        : 'a DNS-1123 label; expected lower-case letters, digits and "-"';
    const p: SpecProblem = {
      ...source.locate([]),
      field: 'name',
      message: `the file name "${name}" is used as the name, and it is not ${what} (rename the file or set name:)`,
    };
    problems.add(p);
  }
}

/** An environment's name is the folder of its services in the output: it must not be one of gitops-synth's own. */
function checkEnvironmentName(name: string, source: SourceFile, problems: ProblemList): void {
  if (!OUTPUT_FOLDERS.includes(name)) return;
  problems.add({
    ...source.locate(source.has(['name']) ? ['name'] : []),
    field: 'name',
    message:
      `the environment name "${name}" is also the folder dist/${name}/ where gitops-synth writes its own ` +
      `files; expected another name (not ${OUTPUT_FOLDERS.join(' or ')}): rename the file or set name:`,
  });
}
