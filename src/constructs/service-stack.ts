import { Construct } from 'constructs';
import type { ResolvedService } from '../resolve/model.js';
import { Autoscaler } from './autoscaler.js';
import { Claims } from './claims.js';
import { DisruptionBudget } from './disruption-budget.js';
import { FilesConfigMap } from './files-config-map.js';
import { MigrationJob } from './migration-job.js';
import { ServiceNetworkPolicy } from './network-policy.js';
import { PublicIngress } from './public-ingress.js';
import { PublicRoute } from './public-route.js';
import { ServiceAccount } from './service-account.js';
import { ServiceMonitor } from './service-monitor.js';
import { ServicePorts } from './service-ports.js';
import { isReplicated, Workload } from './workload.js';

export interface ServiceStackProps {
  /** The service, resolved for one environment. */
  readonly service: ResolvedService;
}

/**
 * Everything one service needs in one environment: the one construct per
 * service that the synth pipeline instantiates. Which parts exist follows
 * from the spec alone (ports → Service, expose → Ingress or HTTPRoute, ...)
 * and its environment (NetworkPolicies on → NetworkPolicy).
 */
export class ServiceStack extends Construct {
  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id);
    const svc = props.service;
    new ServiceAccount(this, 'ServiceAccount', { service: svc });
    if (svc.files.length) new FilesConfigMap(this, 'Files', { service: svc });
    if (svc.workload === 'deployment' && svc.volumes.some((v) => v.owned)) new Claims(this, 'Claims', { service: svc });
    const workload = new Workload(this, 'Workload', { service: svc });
    if (svc.ports.length || svc.workload === 'statefulset') new ServicePorts(this, 'Service', { service: svc });
    if (svc.expose && svc.environment.routing.kind === 'gateway') new PublicRoute(this, 'Route', { service: svc });
    else if (svc.expose) new PublicIngress(this, 'Ingress', { service: svc });
    if (svc.network) new ServiceNetworkPolicy(this, 'NetworkPolicy', { service: svc });
    if (svc.autoscaling) new Autoscaler(this, 'Autoscaler', { service: svc, targetKind: workload.kind });
    if (isReplicated(svc)) new DisruptionBudget(this, 'DisruptionBudget', { service: svc });
    if (svc.migrations) new MigrationJob(this, 'Migrations', { service: svc });
    if (svc.metrics && svc.environment.monitoring.serviceMonitors)
      new ServiceMonitor(this, 'ServiceMonitor', { service: svc });
  }
}
