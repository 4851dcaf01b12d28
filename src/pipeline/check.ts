import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OWNERSHIP_FILE, parseOwnershipRecord } from '../output/ownership.js';
import { compareTree, type TreeDifferences } from '../write/tree-compare.js';
import { type SynthOptions, validate } from './pipeline.js';

export interface CheckResult {
  readonly outDir: string;
  readonly services: number;
  readonly objects: number;
  readonly files: number;
  readonly environments: readonly string[];
  /** False when the output folder does not exist at all. */
  readonly outputExists: boolean;
  /** What `synth` would change in the output folder; all empty when it holds exactly the render. */
  readonly differences: TreeDifferences;
}

/**
 * Everything `validate` checks (writing nothing to the project), then how the
 * output folder differs from what `synth` would write there: `synth --check`
 * and the stale-output line of `validate`.
 */
export async function checkOutput(
  options: SynthOptions & { readonly reuse: 'nothing' | 'builds' },
): Promise<CheckResult> {
  // Every folder rendered: a folder taken from dist/ as it is would be compared with itself.
  const { services, objects, rendered } = await validate(options);
  const outDir = resolve(options.outDir ?? join(options.projectDir, 'dist'));
  const differences = compareTree(outDir, rendered.tree, ownedFiles(outDir));
  return {
    outDir,
    services,
    objects,
    files: rendered.tree.size,
    environments: rendered.context.resolved.environments.map((e) => e.name),
    outputExists: existsSync(outDir),
    differences,
  };
}

/**
 * The files the output folder's ownership marker records; undefined when it
 * has none (then every file counts as the generator's, as a write that takes
 * the folder over would treat it).
 */
function ownedFiles(outDir: string): ReadonlySet<string> | undefined {
  try {
    return parseOwnershipRecord(readFileSync(join(outDir, OWNERSHIP_FILE), 'utf8'))?.files;
  } catch {
    return undefined;
  }
}
