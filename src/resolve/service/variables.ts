import { createHash } from 'node:crypto';
import { codeUnitOrder } from '../../util/order.js';
import type { ResolvedFile, ResolvedService } from '../model.js';
import { dependentVariables, interpolate, isOnlyReferences } from '../references.js';
import type { ServiceScope } from './scope.js';

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
    if (defined.has(k) && f.secretEnv?.[k]) {
      fail(['env', k], `${k} is set both in env and in secretEnv; expected it in secretEnv only`, true);
      continue;
    }
    if (CREDENTIAL_NAME.test(k) && text !== '' && !isOnlyReferences(text)) {
      fail(
        ['env', k],
        `${k} looks like a credential but has a literal value, and secret values never go in a spec; expected a Secret reference: secretEnv: {${k}: {secret: <name>, key: <key>}}`,
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
        `$(${undefinedVars[0]}) refers to a variable that is not defined before it; expected it in secretEnv (or in env, sorted before ${k})`,
      );
    }
    env.push({ name: k, value });
  }
  return { env, secretEnv };
}

/** `files`: each file's content with its references resolved, a ConfigMap key per file, and a hash that rolls the pods on change. */
export function resolveFiles(s: ServiceScope): Pick<ResolvedService, 'files' | 'filesHash'> {
  const files: ResolvedFile[] = [];
  const keys = new Set<string>();
  for (const [path, content] of Object.entries(s.fields.files ?? {}).sort(([a], [b]) => codeUnitOrder(a, b))) {
    const { value, errors } = interpolate(content, s.refs);
    errors.forEach((e) => s.fail(['files', path], e.message, false, { text: e.reference, offset: e.offset }));
    if (path.endsWith('/')) s.fail(['files', path], 'the path ends with "/"; expected a file path, not a folder', true);
    let key = path.replace(/^\/+/, '').replace(/[^-._a-zA-Z0-9]/g, '_');
    while (keys.has(key)) key = `_${key}`;
    keys.add(key);
    files.push({ path, key, content: value });
  }
  const filesHash = files.length
    ? createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 16)
    : undefined;
  return { files, filesHash };
}
