/**
 * In-process schema validation of rendered objects against the published
 * Kubernetes (and CRD) schemas. Kinds are registered with a lazy loader, so
 * a run only loads the schemas it needs.
 */
export interface Validatable {
  validate(): void;
}
/**
 * A model class of kubernetes-models; each constructor takes its
 * own typed input, so the registry sees them as taking anything.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
export type ModelClass = new (data: any) => Validatable;
export type ModelLoader = () => Promise<ModelClass>;

/**
 * The kinds the service constructs and the environment folders emit, from kubernetes-models
 * (Kubernetes 1.33 schemas) and its Gateway API, External Secrets and Prometheus Operator packages.
 */
export const KUBERNETES_KINDS: Record<string, ModelLoader> = {
  'v1/ServiceAccount': async () => (await import('kubernetes-models/v1/ServiceAccount')).ServiceAccount,
  'v1/ConfigMap': async () => (await import('kubernetes-models/v1/ConfigMap')).ConfigMap,
  'v1/PersistentVolumeClaim': async () =>
    (await import('kubernetes-models/v1/PersistentVolumeClaim')).PersistentVolumeClaim,
  'v1/Service': async () => (await import('kubernetes-models/v1/Service')).Service,
  'v1/Namespace': async () => (await import('kubernetes-models/v1/Namespace')).Namespace,
  'v1/Secret': async () => (await import('kubernetes-models/v1/Secret')).Secret,
  'apps/v1/Deployment': async () => (await import('kubernetes-models/apps/v1/Deployment')).Deployment,
  'apps/v1/StatefulSet': async () => (await import('kubernetes-models/apps/v1/StatefulSet')).StatefulSet,
  'batch/v1/Job': async () => (await import('kubernetes-models/batch/v1/Job')).Job,
  'networking.k8s.io/v1/Ingress': async () => (await import('kubernetes-models/networking.k8s.io/v1/Ingress')).Ingress,
  'autoscaling/v2/HorizontalPodAutoscaler': async () =>
    (await import('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler')).HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': async () =>
    (await import('kubernetes-models/policy/v1/PodDisruptionBudget')).PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': async () =>
    (await import('kubernetes-models/networking.k8s.io/v1/NetworkPolicy')).NetworkPolicy,
  'gateway.networking.k8s.io/v1/HTTPRoute': async () =>
    (await import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute')).HTTPRoute,
  'gateway.networking.k8s.io/v1/Gateway': async () =>
    (await import('@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway')).Gateway,
  'external-secrets.io/v1/ExternalSecret': async () =>
    (await import('@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret')).ExternalSecret,
  'monitoring.coreos.com/v1/ServiceMonitor': async () =>
    (await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor')).ServiceMonitor,
};

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export class SchemaValidator {
  private readonly loaders: Map<string, ModelLoader>;
  private readonly models = new Map<string, ModelClass>();

  constructor(...registries: Record<string, ModelLoader>[]) {
    this.loaders = new Map(registries.flatMap((r) => Object.entries(r)));
  }

  /** Loads the schemas of the given `apiVersion/kind` keys once; call before `validate`. */
  async prepare(keys: Iterable<string>): Promise<void> {
    for (const key of new Set(keys)) {
      if (this.models.has(key)) continue;
      const loader = this.loaders.get(key);
      if (loader) this.models.set(key, await loader());
    }
  }

  /** Problems of one object (empty when valid). Unknown kinds are a problem: nothing unvalidated is written. */
  validate(obj: { apiVersion?: string; kind?: string; metadata?: { name?: string } }): string[] {
    const key = `${obj.apiVersion}/${obj.kind}`;
    const Model = this.models.get(key);
    if (!Model) return [`no schema registered for ${key}`];
    const problems: string[] = [];
    const name = obj.metadata?.name;
    if (!name || name.length > 253 || !DNS_SUBDOMAIN.test(name))
      problems.push(`metadata.name ${JSON.stringify(name)} is not a valid DNS-1123 subdomain`);
    try {
      new Model(obj).validate();
    } catch (e) {
      problems.push((e as Error).message);
    }
    return problems;
  }
}
