import { relative } from 'node:path';
import type { CheckResult } from '../pipeline/check.js';
import { treeIsCurrent } from '../write/tree-compare.js';

/** How `synth --check` and `validate` show whether the output folder holds what the specs render. */

/** The keys `synth --json`, `synth --check --json` and `validate --json` share: what was rendered. */
export function renderedJson(r: {
  readonly environments: readonly string[];
  readonly services: number;
  readonly objects: number;
  readonly files: number;
}): Record<string, unknown> {
  return { environments: r.environments, services: r.services, objects: r.objects, files: r.files };
}

/** `output` of `synth --check --json` and `validate --json`. */
export function checkedOutputJson(result: CheckResult): Record<string, unknown> {
  return {
    dir: result.outDir,
    exists: result.outputExists,
    current: treeIsCurrent(result.differences),
    differences: result.differences,
  };
}

const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;

/**
 * `synth --check`: whether the output folder is current, with every file that differs (+ added, - removed, ~ changed).
 */
export function checkText(result: CheckResult): string {
  const out = shown(result.outDir);
  const { added, removed, changed } = result.differences;
  if (treeIsCurrent(result.differences))
    return (
      `gitops-synth: ${out} is current: it holds what the specs render (${result.services} service folders for ` +
      `${result.environments.join(', ')}, ${files(result.files)}); nothing was written\n`
    );
  if (!result.outputExists)
    return (
      `gitops-synth: ${out} does not exist: run gitops-synth synth to write ${files(result.files)} ` +
      '(nothing was written)\n'
    );
  const lines = [
    `gitops-synth: ${out} is stale: ${files(added.length)} to add, ${removed.length} to remove, ` +
      `${changed.length} to change; run gitops-synth synth (nothing was written)`,
    ...added.map((f) => `  + ${f}`),
    ...removed.map((f) => `  - ${f}`),
    ...changed.map((f) => `  ~ ${f}`),
  ];
  return `${lines.join('\n')}\n`;
}

/** `validate`: one line on whether the output folder is current; never a failure. */
export function outputLine(result: CheckResult): string {
  const out = shown(result.outDir);
  if (!result.outputExists) return `gitops-synth: ${out} does not exist yet: gitops-synth synth writes it\n`;
  if (treeIsCurrent(result.differences)) return `gitops-synth: ${out} is current\n`;
  const { added, removed, changed } = result.differences;
  return (
    `gitops-synth: ${out} is stale (${files(added.length)} to add, ${removed.length} to remove, ` +
    `${changed.length} to change): run gitops-synth synth; gitops-synth synth --check lists them\n`
  );
}

function shown(dir: string): string {
  return relative(process.cwd(), dir) || '.';
}
