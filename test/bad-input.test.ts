import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatProblem, SpecError, type SpecProblem } from '../src/spec/errors.js';
import { synth } from '../src/pipeline/pipeline.js';
import { assembleCase, BASE_DIR, lineMatches, listCases, type BadSpecCase } from './bad-specs/corpus.js';
import { linkTree, runCli, snapshotTree, tempDir } from './helpers.js';

/**
 * The bad-spec corpus (test/bad-specs/): each case is the valid base project
 * with a mistake. Synth must refuse it with exactly the expected problems,
 * each naming file, line, column and field, and leave the previously rendered
 * dist/ byte for byte as it was.
 */

const CASES = listCases();

/** dist/ of the valid base project, rendered once by a real synth, and its files. */
let renderedBase: string;
let renderedFiles: Record<string, string>;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'gitops-synth-bad-input-'));
  const project = join(scratch, 'base');
  cpSync(BASE_DIR, project, { recursive: true });
  await synth({ projectDir: project });
  renderedBase = join(project, 'dist');
  renderedFiles = snapshotTree(renderedBase);
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** The case's project in a temporary folder, with the base's rendered dist/ already in place. */
function projectWithDist(c: BadSpecCase): { project: string; dist: string; before: Record<string, string> } {
  const project = tempDir('gitops-synth-bad-spec-');
  assembleCase(c, project);
  const dist = join(project, 'dist');
  // Linked, not copied: the corpus is large, and a synth that wrote anything would show in the snapshot.
  linkTree(renderedBase, dist);
  return { project, dist, before: renderedFiles };
}

/** The problems synth reports for a project; fails the test when synth succeeds or throws anything else. */
async function synthProblems(project: string): Promise<readonly SpecProblem[]> {
  try {
    await synth({ projectDir: project });
  } catch (err) {
    if (err instanceof SpecError) return err.problems;
    throw err;
  }
  throw new Error('synth accepted a bad spec');
}

/** Expected lines without a matching reported line, and reported lines nobody expected. */
function compare(
  expected: readonly string[],
  reported: readonly string[],
): { missing: string[]; unexpected: string[] } {
  return {
    missing: expected.filter((x) => !reported.some((line) => lineMatches(x, line))),
    unexpected: reported.filter((line) => !expected.some((x) => lineMatches(x, line))),
  };
}

it('the corpus covers at least 40 bad specs and its base project is valid', () => {
  expect(CASES.length).toBeGreaterThanOrEqual(40);
  expect(existsSync(join(renderedBase, 'stage', 'api', 'kustomization.yaml'))).toBe(true);
  expect(existsSync(join(renderedBase, 'prod', 'db', 'kustomization.yaml'))).toBe(true);
});

describe('synth refuses every bad spec of the corpus and leaves dist/ untouched', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { project, dist, before } = projectWithDist(c);
    const problems = await synthProblems(project);
    const reported = problems.map(formatProblem);

    expect(compare(c.expect, reported), `${c.about}\nreported:\n${reported.join('\n')}`).toEqual({
      missing: [],
      unexpected: [],
    });

    for (const p of problems) {
      // The expectation spells out the location and field literally; "..." only stands for message text.
      const where = p.line !== undefined ? `${p.file}:${p.line}:${p.column}` : p.file;
      const prefix = p.field ? `${where}: ${p.field}: ` : `${where}: `;
      expect(
        c.expect.some((x) => x.startsWith(prefix) && lineMatches(x, formatProblem(p))),
        `no expectation pins ${prefix}`,
      ).toBe(true);
      // The message says what was expected.
      expect(p.message).toMatch(/expected/);
      // A located problem points at written text (or the offending tab), not at blank space; an empty file has none.
      const text = p.line !== undefined ? readFileSync(join(project, p.file), 'utf8') : '';
      if (p.line !== undefined && text !== '') {
        const line = text.split('\n')[p.line - 1] ?? '';
        const at = line.charAt((p.column ?? 1) - 1);
        expect(at === '\t' || at.trim() !== '', `${where} points at "${line}"`).toBe(true);
      }
    }

    expect(snapshotTree(dist)).toEqual(before);
  });
});

describe('the real CLI reports bad specs and writes nothing', () => {
  it.each(CASES.filter((c) => c.cli).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { project, dist, before } = projectWithDist(c);
    const r = await runCli(['synth', '--project', project]);

    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^gitops-synth: \d+ problems? in the specs; nothing was written\.\n/);
    const reported = r.stderr
      .split('\n')
      .slice(1)
      .filter((l) => l.startsWith('  '))
      .map((l) => l.slice(2));
    expect(compare(c.expect, reported), r.stderr).toEqual({ missing: [], unexpected: [] });
    // One line per problem, in file order, as the user reads them.
    expect(reported).toEqual([...reported].sort((a, b) => a.split(':')[0]!.localeCompare(b.split(':')[0]!)));

    expect(snapshotTree(dist)).toEqual(before);
  });
});
