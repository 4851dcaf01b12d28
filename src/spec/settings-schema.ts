import { z } from 'zod';
import { dnsLabel, dnsSubdomain, hostName } from './fields.js';

/**
 * Project-level settings, `environments/_settings.yaml`: what is the same in
 * every environment (the devops repository, Argo CD, single sign-on,
 * registries, image tag formats, pinned versions). The file is required, and
 * so is `repository.url` (checked in resolve/repository.ts, which names what
 * is expected); every other field has a default.
 */

export const SETTINGS_FILE = '_settings.yaml';

/** What the cluster bootstrap installs when `versions` says nothing. */
export const DEFAULT_ARGOCD_VERSION = 'v3.5.1';
export const DEFAULT_IMAGE_UPDATER_VERSION = 'v1.3.0';

/**
 * A URL Argo CD can reach from the cluster: https://host/org/repo(.git),
 * ssh://[user@]host[:port]/org/repo(.git), user@host:org/repo(.git) or
 * git://host/org/repo(.git). Never a local path or file:// (it exists on one
 * machine only), nor plain http.
 */
export const REACHABLE_GIT_URL =
  /^(?:(?:https|ssh|git):\/\/[^\s/?#]+\/[^\s?#]*[^\s/?#][^\s?#]*|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!\/\/)[^\s]+)$/;

export const GIT_URL_EXPECTED =
  'expected a URL Argo CD can reach: https://host/org/repo.git, ssh://git@host/org/repo.git, ' +
  'git@host:org/repo.git or git://host/org/repo.git (never a local path or file://)';

const gitUrl = z.string().regex(REACHABLE_GIT_URL, GIT_URL_EXPECTED);

/** An Image Updater credential reference: pullsecret:<ns>/<name>, secret:<ns>/<name>#<key>, env:<VAR> or ext:<path>. */
const CREDENTIAL_REFERENCE =
  /^(pullsecret:[a-z0-9-]+\/[a-z0-9.-]+|secret:[a-z0-9-]+\/[a-z0-9.-]+#[A-Za-z0-9._-]+|env:[A-Z_][A-Z0-9_]*|ext:\/.+)$/;

const version = (what: string, example: string, minimum: string, fallback: string) =>
  z
    .string()
    .regex(/^v\d+\.\d+\.\d+$/, `expected a version such as ${example}`)
    .optional()
    .describe(`${what} (vX.Y.Z, ${minimum}). Default: ${fallback}.`);

export const settingsFileSchema = z.strictObject({
  project: dnsLabel
    .optional()
    .describe('Name of the product: the app.kubernetes.io/part-of label of every object (a DNS label). Default: app.'),

  repository: z
    .strictObject({
      url: gitUrl
        .optional()
        .describe(
          "Required: the devops repository's URL, as Argo CD reads it and publish pushes to it: " +
            'https://host/org/repo.git, ssh://git@host/org/repo.git, git@host:org/repo.git or ' +
            'git://host/org/repo.git. Never a local path, file:// or http://, never with credentials in it.',
        ),
      branch: z
        .string()
        .regex(/^[A-Za-z0-9._/-]+$/, 'expected a branch name')
        .optional()
        .describe('The branch Argo CD reads and publish pushes to. Default: main.'),
      path: z
        .string()
        .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'expected a relative folder such as dist or clusters/shop')
        .optional()
        .describe(
          'Folder of the rendered tree inside the repository, e.g. dist or clusters/shop (no ".", ".." or .git ' +
            'parts). Default: dist.',
        ),
      writeSecret: dnsSubdomain
        .optional()
        .describe(
          'Secret in the Argo CD namespace with the credentials Image Updater pushes its write-back commits ' +
            'with (username and password, or sshPrivateKey); never a value. Default: devops-repo-creds.',
        ),
    })
    .optional()
    .describe('The devops repository the rendered tree is published to and Argo CD reads. Required, with url.'),

  argocd: z
    .strictObject({
      namespace: dnsLabel
        .optional()
        .describe('Namespace Argo CD and Image Updater run in; no environment may deploy there. Default: argocd.'),
      host: hostName
        .optional()
        .describe('Public host of the Argo CD UI. Default: argo.<domain> of the ingressEnvironment.'),
      ingressEnvironment: dnsLabel
        .optional()
        .describe(
          "The environment whose routing (Ingress class or Gateway) and cluster issuer the UI's route uses. " +
            'Default: prod, else stage, else the first environment file by name.',
        ),
      webTerminal: z
        .boolean({ error: 'expected true or false' })
        .optional()
        .describe(
          "The UI's web terminal (exec.enabled in argocd-cm): a shell in any pod of every environment, " +
            'production included, for the admin team. Default: false.',
        ),
    })
    .optional()
    .describe('Argo CD itself: its namespace and its UI.'),

  sso: z
    .strictObject({
      github: z
        .strictObject({
          organization: z
            .string()
            .regex(/^[A-Za-z0-9-]+$/, 'expected a GitHub organisation name')
            .describe('The GitHub organisation whose members may log in. Required.'),
          adminTeam: z
            .string()
            .regex(/^[A-Za-z0-9_.-]+$/, 'expected a GitHub team slug')
            .optional()
            .describe("Slug of the organisation's team mapped to the admin role. Default: devops."),
          clientId: z
            .string()
            .min(1)
            .optional()
            .describe(
              'Client ID of the GitHub OAuth app (not a secret; the secret is read from argocd-secret). ' +
                'Default: $dex.github.clientID, read from argocd-secret.',
            ),
        })
        .describe("Dex's GitHub connector."),
      disableAdmin: z
        .boolean({ error: 'expected true or false' })
        .optional()
        .describe(
          'Turn the local admin account off: single sign-on is then the only way in, so the bootstrap needs the ' +
            "OAuth app's credentials. Default: true.",
        ),
    })
    .optional()
    .describe("Single sign-on to the Argo CD UI through Dex's GitHub connector. Default: none."),

  registries: z
    .array(
      z
        .strictObject({
          prefix: z
            .string()
            .regex(/^[a-z0-9.-]+(:[0-9]+)?$/, 'expected a registry host such as ghcr.io')
            .describe('The registry host (and port) image repositories start with, e.g. ghcr.io.'),
          name: z
            .string()
            .optional()
            .describe("The registry's name in Image Updater's configuration. Default: the prefix."),
          apiUrl: z
            .string()
            .regex(/^https?:\/\//, 'expected an http(s) URL')
            .optional()
            .describe("The registry's API URL, http(s). Default: https://<prefix>."),
          credentials: z
            .string()
            .regex(
              CREDENTIAL_REFERENCE,
              'expected a credential reference: pullsecret:<ns>/<name>, secret:<ns>/<name>#<key>, ' +
                'env:<VAR> or ext:<path>',
            )
            .optional()
            .describe(
              'Image Updater credential reference, never a value: pullsecret:<namespace>/<name>, ' +
                'secret:<namespace>/<name>#<key>, env:<VAR> or ext:<path>. Default: none (anonymous).',
            ),
        })
        .describe('A registry.'),
    )
    .optional()
    .describe('Container registries Image Updater talks to. Default: [{prefix: ghcr.io}].'),

  imageUpdater: z
    .enum(['crd', 'annotations'], { error: 'expected crd or annotations' })
    .optional()
    .describe(
      'How Image Updater is configured: crd (ImageUpdater resources, for Image Updater v1.2 or later) or ' +
        'annotations (on the Applications, for v0.x; v1.2 or later reads them too). Default: crd.',
    ),

  imageTags: z
    .strictObject({
      shaLength: z
        .number()
        .int()
        .min(7, 'expected 7 to 40')
        .max(40, 'expected 7 to 40')
        .optional()
        .describe(
          'Build tags, pushed for every commit to the main branch: the short commit sha of this many hex ' +
            'digits, 7 to 40. Default: 7.',
        ),
      releasePrefix: z
        .enum(['', 'v'], { error: 'expected "" or "v"' })
        .optional()
        .describe(
          'Release tags: the semver version without ("", 1.2.3) or with ("v", v1.2.3) a leading v. Default: "".',
        ),
    })
    .optional()
    .describe(
      "The tag formats the image pipeline produces: the environments' allowTags derive from these, and so does " +
        'the generated build workflow, so the two cannot drift apart.',
    ),

  versions: z
    .strictObject({
      argocd: version('The Argo CD release', 'v3.5.1', 'v2.10.0 or later', DEFAULT_ARGOCD_VERSION),
      imageUpdater: version(
        'The Argo CD Image Updater release',
        'v1.3.0',
        'v1.2.0 or later for imageUpdater: crd',
        DEFAULT_IMAGE_UPDATER_VERSION,
      ),
    })
    .optional()
    .describe('Versions the cluster bootstrap installs.'),
});
export type SettingsFile = z.infer<typeof settingsFileSchema>;
