import { NAMESPACE_NAME_LABEL } from '../constructs/labels.js';
import type { EnvironmentBuilder } from './model.js';
import { ENVIRONMENT_WAVE, environmentMetadata } from './model.js';

/** Named with a dot, which no service name has, so it never clashes with a service's own policy. */
export const DEFAULT_DENY_POLICY = 'gitops-synth.default-deny';
export const ACME_SOLVER_POLICY = 'gitops-synth.acme-http01-solver';
/** Label and port of the pods cert-manager starts in the Ingress's namespace to answer ACME HTTP-01 challenges. */
export const ACME_SOLVER_LABEL = 'acme.cert-manager.io/http01-solver';
export const ACME_SOLVER_PORT = 8089;

/**
 * The namespace's default-deny NetworkPolicy: it selects every pod, so a pod
 * that no service policy admits anything to (a migration Job's, a pod made by
 * hand) accepts no connection, and where egress is restricted, makes none.
 * Policies add up: each service's own policy still allows what it declares.
 * With Ingress routing and a cluster issuer, a second policy lets the
 * ingress controller reach cert-manager's HTTP-01 solver pods.
 */
export const defaultDenyPolicy: EnvironmentBuilder = {
  describes: "the namespace's default-deny NetworkPolicy",
  build: ({ env, services }) => {
    if (!env.network.policies) return [];
    const policies: ReturnType<EnvironmentBuilder['build']> = [
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: environmentMetadata(env, DEFAULT_DENY_POLICY, ENVIRONMENT_WAVE.policies),
        spec: {
          podSelector: {},
          policyTypes: env.network.egress === 'declared' ? ['Ingress', 'Egress'] : ['Ingress'],
        },
      },
    ];
    // cert-manager answers HTTP-01 challenges of Ingress certificates from solver pods in this namespace, which the
    // ingress controller must reach (with a Gateway, the solver pods run in the Gateway's namespace).
    const peer = env.network.ingressPeer;
    if (
      env.routing.kind === 'ingress' &&
      env.routing.clusterIssuer &&
      peer?.namespace &&
      services.some((s) => s.expose)
    )
      policies.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: environmentMetadata(env, ACME_SOLVER_POLICY, ENVIRONMENT_WAVE.policies),
        spec: {
          podSelector: { matchLabels: { [ACME_SOLVER_LABEL]: 'true' } },
          policyTypes: ['Ingress'],
          ingress: [
            {
              from: [{ namespaceSelector: { matchLabels: { [NAMESPACE_NAME_LABEL]: peer.namespace } } }],
              ports: [{ port: ACME_SOLVER_PORT, protocol: 'TCP' }],
            },
          ],
        },
      });
    return policies;
  },
};
