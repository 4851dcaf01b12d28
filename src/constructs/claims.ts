import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { ResolvedService, ResolvedVolume } from '../resolve/model.js';
import { metadata, PROTECT_DATA, stableLabels, SYNC_OPTIONS, WAVE } from './labels.js';

export interface ClaimsProps {
  /** A Deployment service; a StatefulSet's claims are its volumeClaimTemplates. */
  readonly service: ResolvedService;
}

/**
 * The PersistentVolumeClaims a Deployment service owns. Each one is marked so
 * that Argo CD never prunes or deletes it: removing or renaming the service
 * leaves the data where it is.
 */
export class Claims extends Construct {
  constructor(scope: Construct, id: string, props: ClaimsProps) {
    super(scope, id);
    const svc = props.service;
    if (svc.workload !== 'deployment')
      throw new Error(`Claims: ${svc.name} is a StatefulSet; its volumes are claim templates of the StatefulSet`);
    for (const v of svc.volumes) {
      if (!v.owned) continue;
      new k8s.KubePersistentVolumeClaim(this, v.name, {
        metadata: metadata(svc, v.claimName, WAVE.prerequisites, { [SYNC_OPTIONS]: PROTECT_DATA }),
        spec: claimSpec(v),
      });
    }
  }
}

export function claimSpec(v: ResolvedVolume): k8s.PersistentVolumeClaimSpec {
  return {
    accessModes: [v.owned!.accessMode],
    storageClassName: v.owned!.storageClass,
    resources: { requests: { storage: k8s.Quantity.fromString(v.owned!.size) } },
  };
}

/** Claim templates of a StatefulSet, protected like any other claim. */
export function claimTemplates(svc: ResolvedService): k8s.KubePersistentVolumeClaimProps[] | undefined {
  const owned = svc.volumes.filter((v) => v.owned);
  if (!owned.length) return undefined;
  return owned.map((v) => ({
    // volumeClaimTemplates are immutable: only labels that never change (no version) go here.
    metadata: { name: v.claimName, labels: stableLabels(svc), annotations: { [SYNC_OPTIONS]: PROTECT_DATA } },
    spec: claimSpec(v),
  }));
}
