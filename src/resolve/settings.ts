import semver from 'semver';
import { fieldPath, SpecError, type ProblemList, type SpecProblem } from '../spec/errors.js';
import { ENVIRONMENTS_DIR } from '../spec/layout.js';
import type { LoadedProject, UnloadedSpecs } from '../spec/load.js';
import { DEFAULT_ARGOCD_VERSION, DEFAULT_IMAGE_UPDATER_VERSION, SETTINGS_FILE } from '../spec/settings-schema.js';
import type { RegistrySettings, ResolvedEnvironment, ResolvedSettings } from './model.js';
import { resolveRepository, type DevopsRepository } from './repository.js';
import { unknownName } from '../spec/suggest.js';

const DEFAULT_WRITE_SECRET = 'devops-repo-creds';
/** templatePatch, which carries the per-service sync policy, exists since Argo CD v2.10. */
const MIN_ARGOCD = '2.10.0';

/**
 * The project settings (`environments/_settings.yaml`) with every default
 * applied: resolved once per run, beside the environments, for every part of
 * the output that needs them (the Argo CD layer, the bootstrap, publish).
 * Adds a problem naming the settings file and field for each setting that
 * cannot work: no repository URL or one with credentials (see resolveRepository), an
 * unknown ingress environment, an Image Updater mode the pinned version
 * cannot read. Returns undefined when there is any.
 */
export function resolveSettings(
  project: LoadedProject,
  envs: readonly ResolvedEnvironment[],
  unloaded: UnloadedSpecs,
  problems: ProblemList,
): ResolvedSettings | undefined {
  const spec = project.settings.spec;
  const source = project.settings.source;
  const settingsFile = source?.file ?? `${ENVIRONMENTS_DIR}/${SETTINGS_FILE}`;
  const before = problems.length;
  const problem = (path: (string | number)[], message: string): void => {
    const p: SpecProblem = source
      ? source.problem(path, message)
      : { file: settingsFile, field: fieldPath(path), message };
    problems.add(p);
  };

  // The devops repository: the same resolution publish uses, so Argo CD reads exactly where the tree is published.
  let repository: DevopsRepository | undefined;
  try {
    repository = resolveRepository(project);
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    e.problems.forEach((p) => problems.add(p));
  }

  // Where the Argo CD UI is published.
  // Where the Argo CD UI is published: through the routing of that environment (an Ingress or an HTTPRoute).
  const wanted = spec.argocd?.ingressEnvironment;
  const ingressEnv = wanted
    ? envs.find((e) => e.name === wanted)
    : (envs.find((e) => e.name === 'prod') ?? envs.find((e) => e.name === 'stage') ?? envs[0]);
  // An environment whose file failed to load is not unknown: its own problems are reported.
  if (wanted && !ingressEnv && !unloaded.environments.has(wanted))
    problem(
      ['argocd', 'ingressEnvironment'],
      `unknown environment "${wanted}"${unknownName(
        wanted,
        envs.map((e) => e.name),
        'an environment of environments/',
      )}`,
    );

  // Image Updater: the mode must be one the pinned version reads.
  const mode = spec.imageUpdater ?? 'crd';
  const iuVersion = spec.versions?.imageUpdater ?? DEFAULT_IMAGE_UPDATER_VERSION;
  const iuAt = spec.versions?.imageUpdater ? ['versions', 'imageUpdater'] : ['imageUpdater'];
  const iu = semver.parse(iuVersion.replace(/^v/, ''))!;
  if (mode === 'crd' && semver.lt(iu, '1.2.0')) {
    problem(
      iuAt,
      'imageUpdater: crd writes ImageUpdater resources in the v1.2+ shape (no spec.namespace), ' +
        `which Image Updater ${iuVersion} cannot read; expected versions.imageUpdater v1.2.0 or later, ` +
        'or imageUpdater: annotations for the v0.x line',
    );
  }
  if (mode === 'annotations' && semver.gte(iu, '1.0.0') && semver.lt(iu, '1.2.0')) {
    problem(
      iuAt,
      'imageUpdater: annotations needs Image Updater v0.x (annotations only) ' +
        'or v1.2.0+ (annotations read through an ImageUpdater with useAnnotations, in the v1.2+ shape); ' +
        `${iuVersion} cannot do either (v1.0 reads no annotations, v1.1 needs spec.namespace)`,
    );
  }
  const argocdVersion = spec.versions?.argocd ?? DEFAULT_ARGOCD_VERSION;
  if (semver.lt(argocdVersion.replace(/^v/, ''), MIN_ARGOCD)) {
    problem(
      ['versions', 'argocd'],
      `Argo CD ${argocdVersion} has no ApplicationSet templatePatch, ` +
        `which carries each service's sync policy; expected v${MIN_ARGOCD} or later`,
    );
  }

  const registries: RegistrySettings[] = [];
  (spec.registries ?? [{ prefix: 'ghcr.io' }]).forEach((r, i) => {
    if (registries.some((o) => o.prefix === r.prefix))
      problem(['registries', i, 'prefix'], `registry ${r.prefix} is listed twice`);
    else
      registries.push({
        name: r.name ?? r.prefix,
        prefix: r.prefix,
        apiUrl: r.apiUrl ?? `https://${r.prefix}`,
        credentials: r.credentials,
      });
  });

  if (problems.length > before || !repository || !ingressEnv) return undefined;
  const github = spec.sso?.github;
  return {
    partOf: spec.project ?? envs[0]?.partOf ?? 'app',
    namespace: spec.argocd?.namespace ?? 'argocd',
    repository: { ...repository, writeSecret: spec.repository?.writeSecret ?? DEFAULT_WRITE_SECRET },
    ui: {
      host: spec.argocd?.host ?? `argo.${ingressEnv.domain}`,
      environment: ingressEnv.name,
      routing: ingressEnv.routing,
      webTerminal: spec.argocd?.webTerminal ?? false,
    },
    sso: github
      ? {
          organization: github.organization,
          adminTeam: github.adminTeam ?? 'devops',
          clientId: github.clientId,
          disableAdmin: spec.sso?.disableAdmin ?? true,
        }
      : undefined,
    registries,
    imageUpdater: { mode, version: iuVersion },
    argocdVersion,
    settingsFile,
  };
}
