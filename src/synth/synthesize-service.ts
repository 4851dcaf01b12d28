import { App, Chart } from 'cdk8s';
import { ServiceStack } from '../constructs/service-stack.js';
import type { ResolvedService } from '../resolve/model.js';
import { objectFileName, type RenderedObject } from '../output/object.js';

/**
 * Builds the service's objects through cdk8s. One App per service: cdk8s
 * validates the whole App on every chart, so one App for all services is
 * quadratic.
 *
 * The only module of the pipeline that loads cdk8s and the constructs
 * (about 0.15 s of module loading): a synth whose every folder comes from
 * the render cache never imports it.
 */
export function synthesizeService(svc: ResolvedService): RenderedObject[] {
  const app = new App({ outdir: '.', recordConstructMetadata: false });
  const chart = new Chart(app, svc.name, { namespace: svc.environment.namespace, disableResourceNameHashes: true });
  new ServiceStack(chart, 'Stack', { service: svc });
  return chart.toJson().map((object) => ({ file: objectFileName(object), object }));
}
