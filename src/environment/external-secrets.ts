import { remoteKeyOf } from '../resolve/environment.js';
import type { ResolvedEnvironment, ResolvedService } from '../resolve/model.js';
import { codeUnitOrder } from '../util/order.js';
import type { EnvironmentBuilder } from './model.js';
import { ENVIRONMENT_WAVE, environmentMetadata } from './model.js';

export const EXTERNAL_SECRETS_API = 'external-secrets.io/v1';

/** A Secret the services of an environment read, with the keys they read and who reads each. */
export interface ReferencedSecret {
  readonly name: string;
  /** Sorted by key. */
  readonly keys: readonly { readonly key: string; readonly usedBy: readonly string[] }[];
}

/** Every Secret `secretEnv` references in the environment, sorted by name, each key once. */
export function referencedSecrets(services: readonly ResolvedService[]): ReferencedSecret[] {
  const secrets = new Map<string, Map<string, string[]>>();
  for (const svc of services) {
    for (const ref of svc.secretEnv) {
      const keys = secrets.get(ref.secret) ?? new Map<string, string[]>();
      secrets.set(ref.secret, keys);
      keys.set(ref.key, [...(keys.get(ref.key) ?? []), `${svc.name} (${ref.name})`]);
    }
  }
  return [...secrets]
    .sort(([a], [b]) => codeUnitOrder(a, b))
    .map(([name, keys]) => ({
      name,
      keys: [...keys]
        .sort(([a], [b]) => codeUnitOrder(a, b))
        .map(([key, usedBy]) => ({ key, usedBy: [...usedBy].sort(codeUnitOrder) })),
    }));
}

/** The key of a Secret in the environment's secret manager. */
export function remoteKey(env: ResolvedEnvironment, secret: string): string {
  if (env.secrets.provider !== 'external-secrets') throw new Error(`environment ${env.name} reads no secret manager`);
  return remoteKeyOf(env.secrets.remoteKey, env, secret);
}

/**
 * With `secrets.provider: external-secrets`, one ExternalSecret per Secret
 * the environment's services reference, named like it, producing exactly
 * the keys referenced (each the property of the same name of the Secret's
 * remote key). In the environment folder, not in a service folder: a Secret
 * shared by several services has one ExternalSecret whatever services come
 * and go, so it is never deleted and re-created (which would delete the
 * Secret it owns) when the first of its readers is removed.
 */
export const externalSecrets: EnvironmentBuilder = {
  describes: 'an ExternalSecret per referenced Secret (secrets.provider external-secrets)',
  build: ({ env, services }) => {
    const provider = env.secrets;
    if (provider.provider !== 'external-secrets') return [];
    return referencedSecrets(services).map((secret) => ({
      apiVersion: EXTERNAL_SECRETS_API,
      kind: 'ExternalSecret',
      metadata: environmentMetadata(env, secret.name, ENVIRONMENT_WAVE.secrets),
      spec: {
        refreshInterval: provider.refreshInterval,
        secretStoreRef: { kind: provider.store.kind, name: provider.store.name },
        // The operator owns the Secret it makes: deleting the ExternalSecret deletes it, never a Secret made by hand.
        target: { name: secret.name, creationPolicy: 'Owner', deletionPolicy: 'Retain' },
        data: secret.keys.map((k) => ({
          secretKey: k.key,
          remoteRef: { key: remoteKey(env, secret.name), property: k.key },
        })),
      },
    }));
  },
};
