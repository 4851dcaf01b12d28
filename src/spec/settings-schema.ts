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

export const settingsFileSchema = z.strictObject({
  /** Name of the product: the `app.kubernetes.io/part-of` label. @default "app" */
  project: dnsLabel.optional(),

  /** The devops repository the rendered tree is published to and Argo CD reads. */
  repository: z
    .strictObject({
      /** Required: the devops repository's URL, as Argo CD reads it and publish pushes to it. */
      url: gitUrl.optional(),
      /** @default "main" */
      branch: z
        .string()
        .regex(/^[A-Za-z0-9._/-]+$/, 'expected a branch name')
        .optional(),
      /** Folder of the rendered tree inside the repository. @default "dist" */
      path: z
        .string()
        .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, 'expected a relative folder such as dist or clusters/shop')
        .optional(),
      /**
       * Secret in the Argo CD namespace with the credentials Image Updater pushes
       * its write-back commits with (username/password, or sshPrivateKey); never a value.
       * @default "devops-repo-creds"
       */
      writeSecret: dnsSubdomain.optional(),
    })
    .optional(),

  argocd: z
    .strictObject({
      /** Namespace Argo CD (and Image Updater) run in. @default "argocd" */
      namespace: dnsLabel.optional(),
      /** Public host of the Argo CD UI. @default "argo.<domain of the first environment in prod, stage order>" */
      host: hostName.optional(),
      /** Environment whose cluster issuer and ingress class the UI's Ingress uses. @default "prod" when it exists */
      ingressEnvironment: dnsLabel.optional(),
      /**
       * The UI's web terminal (argocd-cm exec.enabled): a shell in any pod of
       * every environment, production included, for the admin team. @default false
       */
      webTerminal: z.boolean({ error: 'expected true or false' }).optional(),
    })
    .optional(),

  /** Single sign-on through Dex's GitHub connector. */
  sso: z
    .strictObject({
      github: z.strictObject({
        /** GitHub organisation allowed to log in. */
        organization: z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a GitHub organisation name'),
        /** Team of the organisation mapped to the admin role. @default "devops" */
        adminTeam: z
          .string()
          .regex(/^[A-Za-z0-9_.-]+$/, 'expected a GitHub team slug')
          .optional(),
        /** Dex client ID of the GitHub OAuth app (not a secret; the secret is referenced from argocd-secret). */
        clientId: z.string().min(1).optional(),
      }),
      /** Disable the local admin account once SSO works. @default true */
      disableAdmin: z.boolean({ error: 'expected true or false' }).optional(),
    })
    .optional(),

  /** Container registries Image Updater talks to. @default [{prefix: ghcr.io}] */
  registries: z
    .array(
      z.strictObject({
        prefix: z.string().regex(/^[a-z0-9.-]+(:[0-9]+)?$/, 'expected a registry host such as ghcr.io'),
        /** @default prefix */
        name: z.string().optional(),
        /** @default https://<prefix> */
        apiUrl: z
          .string()
          .regex(/^https?:\/\//, 'expected an http(s) URL')
          .optional(),
        /** Image Updater credential reference, e.g. pullsecret:argocd/ghcr-pull; never a value. */
        credentials: z
          .string()
          .regex(
            /^(pullsecret:[a-z0-9-]+\/[a-z0-9.-]+|secret:[a-z0-9-]+\/[a-z0-9.-]+#[A-Za-z0-9._-]+|env:[A-Z_][A-Z0-9_]*|ext:\/.+)$/,
            'expected a credential reference: pullsecret:<ns>/<name>, secret:<ns>/<name>#<key>, env:<VAR> or ext:<path>',
          )
          .optional(),
      }),
    )
    .optional(),

  /** How Image Updater is configured: v1 `ImageUpdater` resources, or v0.x annotations on the Applications. @default "crd" */
  imageUpdater: z.enum(['crd', 'annotations'], { error: 'expected crd or annotations' }).optional(),

  /**
   * The tag formats the image pipeline produces; the environments' allowTags
   * derive from these, so the two cannot drift apart.
   */
  imageTags: z
    .strictObject({
      /** Build tags on every push to the main branch: the short commit sha of this many hex digits. @default 7 */
      shaLength: z.number().int().min(7, 'expected 7 to 40').max(40, 'expected 7 to 40').optional(),
      /** Release tags: the semver version with or without a leading "v". @default "" (1.2.3) */
      releasePrefix: z.enum(['', 'v'], { error: 'expected "" or "v"' }).optional(),
    })
    .optional(),

  /** Versions pinned by the cluster bootstrap. */
  versions: z
    .strictObject({
      /** @default "v3.5.1" */
      argocd: z
        .string()
        .regex(/^v\d+\.\d+\.\d+$/, 'expected a version such as v3.5.1')
        .optional(),
      /** @default "v1.3.0" */
      imageUpdater: z
        .string()
        .regex(/^v\d+\.\d+\.\d+$/, 'expected a version such as v1.3.0')
        .optional(),
    })
    .optional(),
});
export type SettingsFile = z.infer<typeof settingsFileSchema>;
