import { Document, type YAMLMap } from 'yaml';
import { absolutePath, dnsLabel, envVarName, nonNegativeInt, port, storageQuantity } from '../spec/fields.js';
import { exposeSpec, imageSpec, secretRefSpec } from '../spec/service-schema.js';
import { ArgumentProblems, integerArgument, splitAssignment } from './arguments.js';
import { SERVICE_SCHEMA_COMMENT } from './json-schemas.js';

/** The command line of `app add`, as typed. */
export interface NewServiceArguments {
  readonly name: string;
  /** `<repository>:<tag>` */
  readonly image: string;
  readonly port?: string;
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

/**
 * The text of a new `apps/<name>.yaml` from the command line. Every value is
 * checked with the spec's own field types; every problem of the command line
 * is reported at once (a LifecycleError). The cross-field checks (expose
 * needs a port, volumes and replicas, credentials in env) are the resolver's,
 * run on the written file like on every spec.
 */
export function newServiceText(args: NewServiceArguments): string {
  const problems = new ArgumentProblems();
  problems.check(dnsLabel, args.name, '<name>');

  const spec: Record<string, unknown> = {};
  const image = splitImage(args.image);
  if (!image) problems.add('--image', args.image, 'expected <repository>:<tag>, e.g. ghcr.io/acme/api:1.4.2');
  else {
    const repository = problems.check(imageSpec.shape.repository.unwrap(), image.repository, '--image', args.image);
    const tag = problems.check(imageSpec.shape.tag.unwrap(), image.tag, '--image', args.image);
    spec.image = { repository, tag };
  }
  if (args.port !== undefined) spec.port = problems.check(port, integerArgument(args.port), '--port', args.port);
  if (args.expose !== undefined) {
    const subdomain =
      args.expose === ''
        ? undefined
        : problems.check(exposeSpec.shape.subdomain.unwrap(), args.expose, '--expose', args.expose);
    if (args.port === undefined)
      problems.add('--expose', args.expose, "needs --port: the Ingress routes to the service's port");
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

  problems.throwIfAny();
  const doc = new Document(spec);
  // On the first node rather than the document, so no blank line separates it from the spec.
  (doc.contents as YAMLMap).commentBefore = SERVICE_SCHEMA_COMMENT;
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
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
