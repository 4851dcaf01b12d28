import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { synth } from '../src/pipeline/pipeline.js';
import { copyExample, REPO, snapshotTree, tempDir } from './helpers.js';

describe('cdk8s.yaml', () => {
  const config = parse(readFileSync(join(REPO, 'cdk8s.yaml'), 'utf8')) as {
    app: string;
    output: string;
    language: string;
  };

  it('never points the cdk8s CLI at dist/, which it empties before every run', () => {
    expect(config.language).toBe('typescript');
    expect(config.output).not.toMatch(/^(\.\/)?dist\/?$/);
  });

  it('runs our entry point the way `cdk8s synth` does and writes the same tree as synth', async () => {
    const project = copyExample();
    const expected = join(tempDir(), 'dist');
    await synth({ projectDir: project, outDir: expected });

    // What the cdk8s CLI does: empty the output folder, run `app` in the project with CDK8S_OUTDIR set.
    const outdir = join(project, config.output);
    mkdirSync(outdir, { recursive: true });
    writeFileSync(join(outdir, 'left-over.yaml'), 'kind: Stale\n');
    execSync(
      `rm -rf ${JSON.stringify(outdir)} && ` +
        `${config.app.replace(/^node bin\//, `node ${JSON.stringify(join(REPO, 'bin'))}/`)}`,
      {
        cwd: project,
        env: { ...process.env, CDK8S_OUTDIR: outdir },
        stdio: 'pipe',
      },
    );
    expect(snapshotTree(outdir)).toEqual(snapshotTree(expected));
  });
});
