/**
 * The kubectl steps printed with an acknowledged change: copying a claim's
 * data into the claim that replaces it, and growing the claims of a
 * StatefulSet whose template grew. gitops-synth reaches no cluster, and a
 * data move belongs with a person who reads it before running it.
 */

/** A claim as the copy steps need it: its name, or a StatefulSet's template (claims `<template>-<sts>-<N>`). */
export interface ClaimRef {
  readonly name: string;
  /** Set for a StatefulSet's claim template. */
  readonly statefulSet?: string;
}

export interface CopyPlan {
  readonly namespace: string;
  readonly service: string;
  readonly environment: string;
  /** The image of the copy pod (the environment's wait image: a busybox). */
  readonly image: string;
  readonly from: ClaimRef;
  readonly to: ClaimRef;
  /** Spec of a new claim template (StatefulSet), to create its claims before the copy. */
  readonly templateSpec?: Record<string, unknown>;
  /** Whether every environment is suspended (`app resume` without --env) or only this one. */
  readonly suspendedEverywhere: boolean;
}

function copyPod(name: string, image: string, from: string, to: string): string {
  const overrides = {
    apiVersion: 'v1',
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'copy',
          image,
          command: ['sh', '-c', 'cp -a /from/. /to/'],
          volumeMounts: [
            { name: 'from', mountPath: '/from', readOnly: true },
            { name: 'to', mountPath: '/to' },
          ],
        },
      ],
      volumes: [
        { name: 'from', persistentVolumeClaim: { claimName: from, readOnly: true } },
        { name: 'to', persistentVolumeClaim: { claimName: to } },
      ],
    },
  };
  // Inside single quotes: a loop's ordinal leaves them to be expanded ('"$n"').
  const json = JSON.stringify(overrides).replaceAll('$n', `'"$n"'`);
  return `kubectl -n "$ns" run ${name} --restart=Never --image=${image} --overrides='${json}'`;
}

/** The steps that move the data of one claim (or a StatefulSet's family of claims) into the one replacing it. */
export function copySteps(p: CopyPlan): string[] {
  const resume = `npx gitops-synth app resume ${p.service}${p.suspendedEverywhere ? '' : ` --env ${p.environment}`}`;
  const lines = [
    `1. Publish this render and let Argo CD sync it: ${p.service} runs no pods, and the old ${
      p.from.statefulSet ? 'claims stay' : 'claim stays'
    } (Argo CD never deletes a claim: Prune=false,Delete=false).`,
    '2. Copy the data (the pod runs as root to keep owners and modes; allow it in the namespace if needed):',
    `     ns=${p.namespace}`,
  ];
  if (p.from.statefulSet && p.to.statefulSet) {
    const oldPrefix = `${p.from.name}-${p.from.statefulSet}-`;
    const newPrefix = `${p.to.name}-${p.to.statefulSet}-`;
    // Inside single quotes: the ordinal leaves them to be expanded ('"$n"').
    const claim = JSON.stringify({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: `${newPrefix}@N@` },
      spec: p.templateSpec ?? {},
    }).replace('@N@', `'"$n"'`);
    lines.push(
      `     for n in $(kubectl -n "$ns" get pvc -o name \\`,
      `         | sed -n 's#^persistentvolumeclaim/${oldPrefix}\\([0-9][0-9]*\\)$#\\1#p'); do`,
      `       echo '${claim}' | kubectl -n "$ns" apply -f -`,
      `       ${copyPod(`copy-${p.to.name}-$n`, p.image, `${oldPrefix}$n`, `${newPrefix}$n`)}`,
      `       kubectl -n "$ns" wait pod/copy-${p.to.name}-$n --for=jsonpath='{.status.phase}'=Succeeded --timeout=1h`,
      `       kubectl -n "$ns" delete pod/copy-${p.to.name}-$n`,
      '     done',
      `3. Resume it (${resume}) and publish: each replica mounts its new claim, ${newPrefix}<N>.`,
      `4. Once it works on the new claims, delete the old ones with their data: kubectl -n ${p.namespace} ` +
        `delete pvc ${oldPrefix}<N> for each N.`,
    );
    return lines;
  }
  const oldName = p.from.statefulSet ? `${p.from.name}-${p.from.statefulSet}-0` : p.from.name;
  const newName = p.to.statefulSet ? `${p.to.name}-${p.to.statefulSet}-0` : p.to.name;
  if (p.to.statefulSet) {
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: newName },
      spec: p.templateSpec,
    };
    lines.push(`     echo '${JSON.stringify(claim)}' | kubectl -n "$ns" apply -f -`);
  }
  lines.push(
    `     ${copyPod(`copy-${newName}`, p.image, oldName, newName)}`,
    `     kubectl -n "$ns" wait pod/copy-${newName} --for=jsonpath='{.status.phase}'=Succeeded --timeout=1h`,
    `     kubectl -n "$ns" delete pod/copy-${newName}`,
    `3. Resume it (${resume}) and publish: it mounts ${newName}.`,
    `4. Once it works on the new claim, delete the old one with its data: kubectl -n ${p.namespace} ` +
      `delete pvc ${oldName}`,
  );
  return lines;
}

/** Grows every claim of a StatefulSet's template to `size` (the storage class must allow volume expansion). */
export function growSteps(namespace: string, template: string, statefulSet: string, size: string): string[] {
  const patch = JSON.stringify({ spec: { resources: { requests: { storage: size } } } });
  return [
    `kubectl -n ${namespace} get pvc -o name | grep -E '^persistentvolumeclaim/${template}-${statefulSet}-[0-9]+$' \\`,
    `  | xargs -r -I{} kubectl -n ${namespace} patch {} --type merge -p '${patch}'`,
  ];
}
