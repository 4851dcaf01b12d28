import { createHash } from 'node:crypto';
import { codeUnitOrder } from '../../util/order.js';
import type { ResolvedFile, ResolvedService } from '../model.js';
import { dependentVariables, interpolate, isOnlyReferences } from '../references.js';
import { mountPathProblem } from './mounts.js';
import type { ServiceScope } from './scope.js';
import { ownValue } from '../../util/own.js';

const CREDENTIAL_NAME = /PASSWORD|PASSWD|SECRET|TOKEN|_KEY$|^KEY$|CREDENTIAL/i;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/:@\s]*:([^/@\s]+)@/i;

/**
 * `secretEnv` and `env`: secret variables by reference only (a credential
 * literal is refused), plain values with their references resolved, and
 * `$(VAR)` only of a variable defined before it.
 */
export function resolveVariables(s: ServiceScope): Pick<ResolvedService, 'env' | 'secretEnv'> {
  const { fields: f, fail } = s;
  const secretEnv = Object.entries(f.secretEnv ?? {})
    .sort(([a], [b]) => codeUnitOrder(a, b))
    .map(([k, v]) => ({ name: k, secret: v.secret, key: v.key }));
  const env: { name: string; value: string }[] = [];
  const defined = new Set(secretEnv.map((x) => x.name));
  for (const [k, raw] of Object.entries(f.env ?? {}).sort(([a], [b]) => codeUnitOrder(a, b))) {
    const text = String(raw);
    if (defined.has(k) && ownValue(f.secretEnv, k)) {
      fail(['env', k], `${k} is set both in env and in secretEnv; expected it in secretEnv only`, true);
      continue;
    }
    if (CREDENTIAL_NAME.test(k) && text !== '' && !isOnlyReferences(text)) {
      fail(
        ['env', k],
        `${k} looks like a credential but has a literal value, and secret values never go in a spec; ` +
          `expected a Secret reference: secretEnv: {${k}: {secret: <name>, key: <key>}}`,
      );
      continue;
    }
    const url = URL_WITH_PASSWORD.exec(text);
    if (url && !isOnlyReferences(url[1]!)) {
      fail(
        ['env', k],
        `${k} holds a URL with a literal password; expected the password in secretEnv, written as $(VAR) in the URL`,
      );
      continue;
    }
    const { value, errors } = interpolate(text, s.refs);
    errors.forEach((e) => fail(['env', k], e.message, false, { text: e.reference, offset: e.offset }));
    const undefinedVars = dependentVariables(value).filter((v) => !defined.has(v) && !env.some((e) => e.name === v));
    if (undefinedVars.length) {
      fail(
        ['env', k],
        `$(${undefinedVars[0]}) refers to a variable that is not defined before it; ` +
          `expected it in secretEnv (or in env, sorted before ${k})`,
      );
    }
    env.push({ name: k, value });
  }
  return { env, secretEnv };
}

/**
 * The longest string Linux passes to a program (MAX_ARG_STRLEN, 128 KiB with
 * its terminating NUL): each `NAME=value` of the environment and each
 * argument. A longer one makes the container fail to start ("argument list
 * too long").
 */
const EXEC_STRING_MAX_BYTES = 128 * 1024 - 1;

/** `command`, `args` and the resolved variables, each within what Linux passes to a program. */
export function checkExecStrings(s: ServiceScope, env: readonly { name: string; value: string }[]): void {
  const tooLong = (bytes: number) =>
    `is ${bytes.toLocaleString('en-US')} bytes, and Linux refuses to start a program with a string over ` +
    `128 KiB in its arguments or environment; expected at most ` +
    `${EXEC_STRING_MAX_BYTES.toLocaleString('en-US')} bytes: put long content in files:`;
  for (const { name, value } of env) {
    const bytes = Buffer.byteLength(name) + 1 + Buffer.byteLength(value);
    if (bytes > EXEC_STRING_MAX_BYTES) s.fail(['env', name], `${name}=... ${tooLong(bytes)}`);
  }
  for (const field of ['command', 'args'] as const)
    (s.fields[field] ?? []).forEach((arg, i) => {
      const bytes = Buffer.byteLength(arg);
      if (bytes > EXEC_STRING_MAX_BYTES) s.fail([field, i], `this argument ${tooLong(bytes)}`);
    });
}

/**
 * The most the files of one service may add up to in their ConfigMap (keys
 * and contents, in bytes). The API server refuses a ConfigMap whose data
 * exceeds 1 MiB (1,048,576 bytes); this leaves room to spare.
 */
export const FILES_CONFIGMAP_MAX_BYTES = 1_000_000;
/** The longest ConfigMap key the API server takes; each file is one key. */
const CONFIGMAP_KEY_MAX = 253;

/**
 * `files`: each file's content with its references resolved, a
 * ConfigMap key per file, and a hash that rolls the pods on change.
 */
export function resolveFiles(s: ServiceScope): Pick<ResolvedService, 'files' | 'filesHash'> {
  const files: ResolvedFile[] = [];
  const keys = new Set<string>();
  let bytes = 0;
  for (const [path, content] of Object.entries(s.fields.files ?? {}).sort(([a], [b]) => codeUnitOrder(a, b))) {
    const { value, errors } = interpolate(content, s.refs);
    errors.forEach((e) => s.fail(['files', path], e.message, false, { text: e.reference, offset: e.offset }));
    const pathProblem = mountPathProblem(path, 'file');
    if (pathProblem) {
      // Reported once: a path that is not a place is not checked against the other mounts.
      s.fail(['files', path], pathProblem, true);
      continue;
    }
    let key = path.replace(/^\/+/, '').replace(/[^-._a-zA-Z0-9]/g, '_');
    while (keys.has(key)) key = `_${key}`;
    keys.add(key);
    if (key.length > CONFIGMAP_KEY_MAX)
      s.fail(
        ['files', path],
        `the path has ${path.length} characters, and each file is a key of the service's ConfigMap, which ` +
          `the API server limits to ${CONFIGMAP_KEY_MAX}; expected a shorter path`,
        true,
      );
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    files.push({ path, key, content: value });
  }
  if (bytes > FILES_CONFIGMAP_MAX_BYTES)
    s.fail(
      ['files'],
      `the files add up to ${bytes.toLocaleString('en-US')} bytes in the ConfigMap ${s.name}-files, and ` +
        `the API server refuses a ConfigMap over 1 MiB; expected at most ` +
        `${FILES_CONFIGMAP_MAX_BYTES.toLocaleString('en-US')} bytes: large content belongs in the image or ` +
        `on a volume`,
    );
  const filesHash = files.length
    ? createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16)
    : undefined;
  return { files, filesHash };
}
