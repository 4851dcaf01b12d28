import type { EnvironmentBuilder } from './model.js';
import { ENVIRONMENT_WAVE, environmentMetadata } from './model.js';

/** Named with a dot, which no service name has, so it never clashes with a service's own policy. */
export const DEFAULT_DENY_POLICY = 'gitops-synth.default-deny';

/**
 * The namespace's default-deny NetworkPolicy: it selects every pod, so a pod
 * that no service policy admits anything to (a migration Job's, a pod made by
 * hand) accepts no connection, and where egress is restricted, makes none.
 * Policies add up: each service's own policy still allows what it declares.
 */
export const defaultDenyPolicy: EnvironmentBuilder = {
  describes: "the namespace's default-deny NetworkPolicy",
  build: ({ env }) =>
    env.network.policies
      ? [
          {
            apiVersion: 'networking.k8s.io/v1',
            kind: 'NetworkPolicy',
            metadata: environmentMetadata(env, DEFAULT_DENY_POLICY, ENVIRONMENT_WAVE.policies),
            spec: {
              podSelector: {},
              policyTypes: env.network.egress === 'declared' ? ['Ingress', 'Egress'] : ['Ingress'],
            },
          },
        ]
      : [],
};
