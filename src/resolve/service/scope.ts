import type { LoadedService, UnloadedSpecs } from '../../spec/load.js';
import type { ServiceFields } from '../../spec/service-schema.js';
import type { ValueSpan } from '../../spec/source.js';
import type { ImageTagFormats } from '../image-tags.js';
import type { ResolvedEnvironment, ResolvedPort } from '../model.js';
import type { ReferenceContext } from '../references.js';

/** A path in a service spec, as the user wrote it (`['volumes', 0, 'size']`). */
export type FieldPath = (string | number)[];

/** A service's fields for one environment (base and override merged), with a way to point at where each came from. */
export interface Merged {
  readonly svc: LoadedService;
  readonly fields: ServiceFields;
  /**
   * Reports a problem at `path` of the merged spec, in the file where
   * that value was written; with `span`, at that piece of the value.
   */
  problem(path: FieldPath, message: string, atKey?: boolean, span?: ValueSpan): void;
}

/**
 * What each resolver of one concern (image, ports, variables, volumes, ...)
 * sees of one service in one environment. Resolvers report through `fail`
 * and return what they resolved; a service with any problem is left out of
 * the output, but every resolver still runs, so one run reports everything.
 */
export interface ServiceScope {
  readonly name: string;
  readonly fields: ServiceFields;
  readonly env: ResolvedEnvironment;
  /** This service's ports (every service's ports are resolved first: references and dependencies need them). */
  readonly ports: readonly ResolvedPort[];
  /** Resolves `${service:…}` and `${env:…}` in this service's values. */
  readonly refs: ReferenceContext;
  /** The services enabled in this environment, by name (this one included). */
  readonly services: ReadonlyMap<string, Merged>;
  /** Every enabled service's ports, by name. */
  readonly portsOf: ReadonlyMap<string, readonly ResolvedPort[]>;
  /** Every service of apps/, including those disabled in this environment. */
  readonly declared: ReadonlySet<string>;
  /** What files that failed to load would have defined: checks that need them are skipped. */
  readonly unloaded: UnloadedSpecs;
  /** The tag formats the image pipeline produces (imageTags in the settings). */
  readonly tags: ImageTagFormats;
  /** Reports a problem at `path` of the merged spec; the service is then left out of the output. */
  fail(path: FieldPath, message: string, atKey?: boolean, span?: ValueSpan): void;
}
