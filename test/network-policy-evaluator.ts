/**
 * A small evaluator of Kubernetes NetworkPolicy semantics (networking.k8s.io/v1),
 * for tests: given the policies of a cluster, may a pod open a connection to
 * another pod's port?
 *
 * - A pod is isolated for ingress (egress) when a policy of its namespace
 *   selects it (`podSelector`) and has Ingress (Egress) among its
 *   `policyTypes` (which default to Ingress, plus Egress when the policy has
 *   an `egress` section). An isolated pod accepts (makes) only the
 *   connections some such policy allows; policies add up.
 * - A rule allows a connection when one of its peers matches (no `from`/`to`:
 *   every peer) and one of its ports does (no `ports`: every port; a port
 *   without protocol is TCP; a named port matches the destination container's
 *   port of that name; `endPort` makes a range).
 * - A peer with only `podSelector` matches pods of the policy's own namespace;
 *   with only `namespaceSelector`, every pod of the matching namespaces; with
 *   both, the matching pods of the matching namespaces; `ipBlock` matches an
 *   address in the block and in none of its `except` blocks.
 * - A connection happens when the source may make it (egress) and the
 *   destination may accept it (ingress).
 */

type Json = any;

export interface Pod {
  /** For messages. */
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The pod's IP, for ipBlock peers. */
  readonly ip?: string;
  /** Named container ports, for named ports in policies. */
  readonly ports?: readonly { readonly name?: string; readonly port: number; readonly protocol?: string }[];
}

export interface LabelSelector {
  readonly matchLabels?: Record<string, string>;
  readonly matchExpressions?: readonly { key: string; operator: string; values?: string[] }[];
}

/** Whether a label selector selects a set of labels; an empty selector selects everything. */
export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const ok =
      e.operator === 'In'
        ? has && (e.values ?? []).includes(value!)
        : e.operator === 'NotIn'
          ? !has || !(e.values ?? []).includes(value!)
          : e.operator === 'Exists'
            ? has
            : e.operator === 'DoesNotExist'
              ? !has
              : (() => {
                  throw new Error(`unknown selector operator ${e.operator}`);
                })();
    if (!ok) return false;
  }
  return true;
}

export class NetworkPolicyCluster {
  /**
   * @param policies NetworkPolicy objects as rendered (each with metadata.namespace)
   * @param namespaceLabels labels of each namespace; every namespace also carries kubernetes.io/metadata.name
   */
  constructor(
    private readonly policies: readonly Json[],
    private readonly namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>> = new Map(),
  ) {
    for (const p of policies) {
      if (p.kind !== 'NetworkPolicy' || p.apiVersion !== 'networking.k8s.io/v1')
        throw new Error(`not a NetworkPolicy: ${p.apiVersion}/${p.kind}`);
      if (!p.metadata?.namespace) throw new Error(`NetworkPolicy ${p.metadata?.name} has no namespace`);
    }
  }

  /** Whether `from` may connect to `to` on `port`/`protocol` (TCP unless said). */
  allows(from: Pod, to: Pod, port: number, protocol = 'TCP'): boolean {
    return this.direction('Egress', from, to, port, protocol) && this.direction('Ingress', to, from, port, protocol);
  }

  /** Whether a connection is allowed on one side: `subject` is the pod whose policies decide, `peer` the other end. */
  private direction(type: 'Ingress' | 'Egress', subject: Pod, peer: Pod, port: number, protocol: string): boolean {
    const destination = type === 'Ingress' ? subject : peer;
    const selecting = this.policies.filter(
      (p) =>
        p.metadata.namespace === subject.namespace &&
        policyTypes(p).includes(type) &&
        selectorMatches(p.spec.podSelector ?? {}, subject.labels),
    );
    if (!selecting.length) return true;
    return selecting.some((p) =>
      ((type === 'Ingress' ? p.spec.ingress : p.spec.egress) ?? []).some((rule: Json) => {
        const peers: Json[] | undefined = type === 'Ingress' ? rule.from : rule.to;
        const peerOk = !peers?.length || peers.some((x) => this.peerMatches(x, p.metadata.namespace, peer));
        const portOk = !rule.ports?.length || rule.ports.some((x: Json) => portMatches(x, port, protocol, destination));
        return peerOk && portOk;
      }),
    );
  }

  private peerMatches(peer: Json, policyNamespace: string, pod: Pod): boolean {
    if (peer.ipBlock) {
      if (peer.podSelector || peer.namespaceSelector) throw new Error('ipBlock cannot go with selectors');
      return (
        pod.ip !== undefined &&
        inCidr(pod.ip, peer.ipBlock.cidr) &&
        !(peer.ipBlock.except ?? []).some((c: string) => inCidr(pod.ip!, c))
      );
    }
    if (!peer.podSelector && !peer.namespaceSelector) throw new Error('a peer needs a selector or an ipBlock');
    const namespaceOk = peer.namespaceSelector
      ? selectorMatches(peer.namespaceSelector, this.labelsOf(pod.namespace))
      : pod.namespace === policyNamespace;
    return namespaceOk && selectorMatches(peer.podSelector ?? {}, pod.labels);
  }

  private labelsOf(namespace: string): Record<string, string> {
    return { ...(this.namespaceLabels.get(namespace) ?? {}), 'kubernetes.io/metadata.name': namespace };
  }
}

function policyTypes(p: Json): string[] {
  if (p.spec.policyTypes) return p.spec.policyTypes;
  return p.spec.egress ? ['Ingress', 'Egress'] : ['Ingress'];
}

function portMatches(rule: Json, port: number, protocol: string, destination: Pod): boolean {
  if ((rule.protocol ?? 'TCP') !== protocol) return false;
  if (rule.port === undefined) return true;
  if (typeof rule.port === 'string')
    return (destination.ports ?? []).some(
      (p) => p.name === rule.port && p.port === port && (p.protocol ?? 'TCP') === protocol,
    );
  return rule.endPort === undefined ? rule.port === port : port >= rule.port && port <= rule.endPort;
}

/** IPv4 only: whether `ip` lies in `cidr`. */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
  if (!base!.includes('.') || !ip.includes('.')) return false;
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(base!) / size);
}
