import { Document, type YAMLMap } from 'yaml';
import {
  absolutePath,
  dnsLabel,
  envVarName,
  nonNegativeInt,
  port,
  portName,
  serviceName,
  storageQuantity,
} from '../spec/fields.js';
import { knownImage, knownUserIds, namesHttp, wellKnownPort } from '../resolve/well-known.js';
import { exposeSpec, imageSpec, secretRefSpec } from '../spec/service-schema.js';
import { ArgumentProblems, integerArgument, splitAssignment } from './arguments.js';
import { SERVICE_SCHEMA_COMMENT } from './json-schemas.js';

/** The command line of `app add`, as typed. */
export interface NewServiceArguments {
  readonly name: string;
  /** `<repository>:<tag>` */
  readonly image: string;
  /** `<number>` or `<name>:<number>`. */
  readonly port?: string;
  /** The uid the container runs as. @default the image's user when the image is a known official one */
  readonly runAsUser?: string;
  /** @default the image user's group when known, else none */
  readonly runAsGroup?: string;
  /** Group that owns the volumes. @default runAsGroup, when the service has volumes */
  readonly fsGroup?: string;
  /** Subdomain; the empty string exposes the service on the environment's apex domain. */
  readonly expose?: string;
  readonly replicas?: string;
  /** `KEY=VALUE` each. */
  readonly env?: readonly string[];
  /** `VAR=<secret>/<key>` each. */
  readonly secretEnv?: readonly string[];
  /** `<name>:<mountPath>:<size>` each. */
  readonly volume?: readonly string[];
}

/** Something the user should know about a new spec; a warning when the pod may not start without more. */
export interface ServiceNote {
  readonly warning: boolean;
  readonly text: string;
}

/** The spec of a new service, and what the user should know about it. */
export interface NewService {
  readonly text: string;
  readonly notes: readonly ServiceNote[];
}

/** The text of a new `apps/<name>.yaml` from the command line (see newService). */
export function newServiceText(args: NewServiceArguments): string {
  return newService(args).text;
}

/**
 * A new `apps/<name>.yaml` from the command line. Every value is checked
 * with the spec's own field types; every problem of the command line is
 * reported at once (a LifecycleError). The cross-field checks (expose needs
 * a port, volumes and replicas, credentials in env) are the resolver's, run
 * on the written file like on every spec.
 *
 * Two things a pod needs to start that the image decides: the user (the
 * spec runs as non-root; an official image known to start as root gets its
 * user's uid, any other image a note naming --run-as-user), and the port's
 * protocol (a well-known non-HTTP port gets a name that says it, since
 * `port: N` means HTTP).
 */
export function newService(args: NewServiceArguments): NewService {
  const problems = new ArgumentProblems();
  const notes: ServiceNote[] = [];
  problems.check(serviceName, args.name, '<name>');

  const spec: Record<string, unknown> = {};
  const image = splitImage(args.image);
  if (!image) problems.add('--image', args.image, 'expected <repository>:<tag>, e.g. ghcr.io/acme/api:1.4.2');
  else {
    const repository = problems.check(imageSpec.shape.repository.unwrap(), image.repository, '--image', args.image);
    const tag = problems.check(imageSpec.shape.tag.unwrap(), image.tag, '--image', args.image);
    spec.image = { repository, tag };
  }
  let httpPort = true;
  if (args.port !== undefined) {
    const named = /^([^:]+):(.*)$/.exec(args.port);
    const number = problems.check(port, integerArgument(named ? named[2]! : args.port), '--port', args.port);
    const name = named ? problems.check(portName, named[1], '--port', args.port) : undefined;
    const known = number === undefined ? undefined : wellKnownPort(number);
    if (number !== undefined && (name ?? known?.name) !== undefined && (name ?? known!.name) !== 'http') {
      spec.ports = [flow({ name: name ?? known!.name, port: number })];
      httpPort = namesHttp(name ?? known!.name);
      if (!name)
        notes.push({
          warning: false,
          text: `port ${number} is ${known!.program}'s: named ${known!.name}, so that meshes read its protocol`,
        });
    } else if (number !== undefined) spec.port = number;
  }
  if (args.expose !== undefined) {
    const subdomain =
      args.expose === ''
        ? undefined
        : problems.check(exposeSpec.shape.subdomain.unwrap(), args.expose, '--expose', args.expose);
    if (args.port === undefined)
      problems.add('--expose', args.expose, "needs --port: the Ingress routes to the service's port");
    else if (!httpPort)
      problems.add(
        '--expose',
        args.expose,
        `needs an HTTP port: the Ingress routes HTTP, and --port ${args.port} is named for another protocol`,
      );
    spec.expose = flow(subdomain === undefined ? {} : { subdomain });
  }
  if (args.replicas !== undefined)
    spec.replicas = problems.check(nonNegativeInt, integerArgument(args.replicas), '--replicas', args.replicas);

  const env = assignments(args.env ?? [], '--env', 'KEY=VALUE', problems, (value) => value);
  if (env.size) spec.env = Object.fromEntries(env);

  const secretEnv = assignments(
    args.secretEnv ?? [],
    '--secret-env',
    'VAR=<secret>/<key>, e.g. DATABASE_PASSWORD=postgres-credentials/password',
    problems,
    (value, raw) => {
      const slash = value.indexOf('/');
      if (slash <= 0) {
        problems.add(
          '--secret-env',
          raw,
          'expected VAR=<secret>/<key>, e.g. DATABASE_PASSWORD=postgres-credentials/password',
        );
        return undefined;
      }
      const secret = problems.check(secretRefSpec.shape.secret, value.slice(0, slash), '--secret-env', raw);
      const key = problems.check(secretRefSpec.shape.key, value.slice(slash + 1), '--secret-env', raw);
      return secret !== undefined && key !== undefined ? flow({ secret, key }) : undefined;
    },
  );
  for (const name of secretEnv.keys())
    if (env.has(name))
      problems.add(
        '--env',
        `${name}=${env.get(name)}`,
        `${name} is also given with --secret-env; keep it in --secret-env only`,
      );
  if (secretEnv.size) spec.secretEnv = Object.fromEntries(secretEnv);

  const volumes: Record<string, unknown>[] = [];
  for (const raw of args.volume ?? []) {
    const parts = /^([^:]*):(.*):([^:]*)$/.exec(raw);
    if (!parts) {
      problems.add('--volume', raw, 'expected <name>:<mount path>:<size>, e.g. data:/var/lib/data:10Gi');
      continue;
    }
    const name = problems.check(dnsLabel, parts[1], '--volume', raw);
    const mountPath = problems.check(absolutePath, parts[2], '--volume', raw);
    const size = problems.check(storageQuantity, parts[3], '--volume', raw);
    if (name !== undefined && volumes.some((v) => v.name === name))
      problems.add('--volume', raw, `volume "${name}" is given twice; expected each volume once`);
    volumes.push({ name, mountPath, size });
  }
  if (volumes.length) spec.volumes = volumes;

  const security = securityContext(args, image, volumes.length > 0, problems, notes);
  if (security) spec.securityContext = flow(security);

  problems.throwIfAny();
  const doc = new Document(spec);
  // On the first node rather than the document, so no blank line separates it from the spec.
  (doc.contents as YAMLMap).commentBefore = SERVICE_SCHEMA_COMMENT;
  return { text: doc.toString({ lineWidth: 0, flowCollectionPadding: false }), notes };
}

/**
 * The user the container runs as: the flags, else the user of an official
 * image known to start as root. Without either, a note: Kubernetes starts
 * the pod only if the image's USER is a numeric non-root uid.
 */
function securityContext(
  args: NewServiceArguments,
  image: { repository: string; tag: string } | undefined,
  hasVolumes: boolean,
  problems: ArgumentProblems,
  notes: ServiceNote[],
): Record<string, number | boolean> | undefined {
  const id = (raw: string | undefined, option: string) =>
    raw === undefined ? undefined : problems.check(nonNegativeInt, integerArgument(raw), option, raw);
  let runAsUser = id(args.runAsUser, '--run-as-user');
  let runAsGroup = id(args.runAsGroup, '--run-as-group');
  const fsGroup = id(args.fsGroup, '--fs-group');
  if (runAsUser === 0)
    problems.add(
      '--run-as-user',
      args.runAsUser,
      'expected a non-zero uid: every service runs as non-root (edit the spec for runAsNonRoot: false)',
    );
  const known = image ? knownImage(image.repository) : undefined;
  if (args.runAsUser === undefined && image) {
    const ids = known ? knownUserIds(known, image.tag) : undefined;
    if (known?.unprivileged)
      problems.add(
        '--image',
        args.image,
        `the official ${image.repository} image must start as root; expected an image that runs ` +
          `unprivileged, such as ${known.unprivileged}`,
      );
    else if (known && ids) {
      runAsUser = ids.uid;
      runAsGroup ??= ids.gid;
      notes.push({
        warning: false,
        text:
          `runs as uid ${ids.uid} (the ${image.repository} image's ${known.user} user)` +
          (known.numericUser
            ? ''
            : `: the image ${known.userByName ? 'names its user by name' : 'starts as root'}, ` +
              'which Kubernetes refuses with runAsNonRoot'),
      });
    } else
      notes.push({
        warning: true,
        text: known
          ? `the ${image.repository} image runs as its ${known.user} user, whose uid for tag ${image.tag} is ` +
            `unknown here: pass --run-as-user <uid>, or the pod stops at CreateContainerConfigError`
          : `the user ${image.repository} runs as is unknown here: if its Dockerfile's USER is not a numeric ` +
            'non-root uid, pass --run-as-user <uid> (and --run-as-group, --fs-group), ' +
            'or the pod stops at CreateContainerConfigError',
      });
  }
  const writableRoot = known?.writesOutsideVolumes === true && !known.unprivileged;
  if (writableRoot)
    notes.push({
      warning: false,
      text: `the ${image!.repository} image's entrypoint writes outside its data volume: readOnlyRootFilesystem is off`,
    });
  if (runAsUser === undefined && runAsGroup === undefined && fsGroup === undefined && !writableRoot) return undefined;
  const out: Record<string, number | boolean> = {};
  if (runAsUser !== undefined) out.runAsUser = runAsUser;
  if (runAsGroup !== undefined) out.runAsGroup = runAsGroup;
  // Volumes are made writable for the group the container runs as.
  const fs = fsGroup ?? (hasVolumes ? runAsGroup : undefined);
  if (fs !== undefined) out.fsGroup = fs;
  if (writableRoot) out.readOnlyRootFilesystem = false;
  return out;
}

/** `ghcr.io/acme/api:1.4.2` → repository and tag (the tag follows the last ":" after the last "/"). */
function splitImage(raw: string): { repository: string; tag: string } | undefined {
  const colon = raw.lastIndexOf(':');
  if (colon <= raw.lastIndexOf('/') || colon === raw.length - 1) return undefined;
  return { repository: raw.slice(0, colon), tag: raw.slice(colon + 1) };
}

function assignments<T>(
  list: readonly string[],
  option: string,
  form: string,
  problems: ArgumentProblems,
  value: (value: string, raw: string) => T | undefined,
): Map<string, T> {
  const out = new Map<string, T>();
  for (const raw of list) {
    const split = splitAssignment(raw, option, form, problems);
    if (!split) continue;
    const name = problems.check(envVarName, split[0], option, raw);
    if (name === undefined) continue;
    if (out.has(name)) {
      problems.add(option, raw, `${name} is given twice; expected each variable once`);
      continue;
    }
    const v = value(split[1], raw);
    if (v !== undefined) out.set(name, v);
  }
  return out;
}

/** A small mapping written on one line, as the example specs do: `{secret: x, key: y}`. */
function flow(value: Record<string, unknown>): YAMLMap {
  const map = new Document().createNode(value) as YAMLMap;
  map.flow = true;
  return map;
}
