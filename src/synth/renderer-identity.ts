import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { shortDigest } from '../util/content-digest.js';
import type { ResolvedEnvironment, ResolvedService } from '../resolve/model.js';
import { CODE_ROOT } from '../util/code-identity.js';

/**
 * What a service folder is a function of, as digests the ownership marker
 * records (output/ownership.ts), so that a later run, even on a fresh clone
 * without any cache, can take a folder from the output instead of rendering
 * it again: the resolved service (its input digest) and the code that
 * renders it (the renderer identity).
 *
 * The identity covers the modules a service folder's rendering loads (found
 * from the renderer's entry modules through their imports; type-only imports
 * load nothing) and the versions of the packages they build on. It must be
 * the same on every machine for the same code, since the marker is
 * committed: it reads the TypeScript sources where they are beside the
 * compiled code (a checkout), else the compiled modules (an installed
 * package), and leaves out Node's version.
 */

/** The modules that render a service folder. */
const RENDERER_ENTRIES = ['synth/synthesize-service', 'synth/render-service'];
/** Packages whose code shapes a rendered folder. */
const RENDERER_PACKAGES = ['cdk8s', 'cdk8s-plus-28', 'constructs'];

const IMPORT =
  /(?:^|\s)(?:import|export)\s(?!type\s)[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/gm;

/** The renderer identity (see above); undefined when its code cannot be read (then no folder is taken as rendered). */
export function rendererIdentity(codeRoot: string = CODE_ROOT): string | undefined {
  const checkout = basename(dirname(codeRoot)) === 'build' ? join(codeRoot, '..', '..', 'src') : undefined;
  const [root, ext] =
    checkout && existsSync(join(checkout, `${RENDERER_ENTRIES[0]}.ts`))
      ? [checkout, '.ts']
      : existsSync(join(codeRoot, `${RENDERER_ENTRIES[0]}.ts`))
        ? [codeRoot, '.ts']
        : [codeRoot, '.js'];
  const hash = createHash('sha256').update('gitops-synth renderer 1\0');
  const require = createRequire(import.meta.url);
  try {
    for (const pkg of RENDERER_PACKAGES) {
      const { version } = JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as {
        version: string;
      };
      hash.update(`${pkg}@${version}\0`);
    }
    const modules = new Map<string, string>();
    const queue = RENDERER_ENTRIES.map((e) => join(root, `${e}${ext}`));
    while (queue.length) {
      const file = queue.pop()!;
      if (modules.has(file)) continue;
      const text = readFileSync(file, 'utf8');
      modules.set(file, text);
      for (const m of text.matchAll(IMPORT)) queue.push(join(dirname(file), (m[1] ?? m[2]!).replace(/\.js$/, ext)));
    }
    for (const file of [...modules.keys()].sort())
      hash.update(`${relative(root, file).split('\\').join('/')}\0`).update(modules.get(file)!);
  } catch {
    return undefined;
  }
  return shortDigest(hash);
}

/**
 * Digest of what a service's folder is rendered from: the resolved service
 * for its environment, spec files by path (their text is resolved into the
 * service already, and their comments change nothing).
 */
export function serviceInputDigest(
  svc: ResolvedService,
  environment: string = environmentInputDigest(svc.environment),
): string {
  const input = { ...svc, source: svc.source.file, environment };
  return shortDigest(createHash('sha256').update(JSON.stringify(input)));
}

/**
 * Digest of the resolved environment a service is rendered for (its spec file
 * by path): a part of every serviceInputDigest of that environment, worked
 * out once per environment by a caller digesting many services.
 */
export function environmentInputDigest(env: ResolvedEnvironment): string {
  return shortDigest(createHash('sha256').update(JSON.stringify({ ...env, source: env.source.file })));
}
