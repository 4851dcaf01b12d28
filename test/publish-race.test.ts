import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO, tempDir } from './helpers.js';
import { bareRepo, commits, git, gitEnv, isAncestor, refUpdates } from './publish-fixtures.js';

const PUBLISHERS = 4;
const ROUNDS = 20;
const WRITE_BACKS = 20;

/** A publisher process: each round gives its one service a new tag and publishes it, as a pipeline run would. */
const PUBLISHER = `
import { writeFileSync } from 'node:fs';
import { publish } from ${JSON.stringify(pathToFileURL(join(REPO, 'build/src/publish/publish.js')).href)};
const [project, id, rounds, out] = process.argv.slice(2);
const results = [];
for (let round = 1; round <= Number(rounds); round++) {
  // Auto-updated: the write-backs landing beside it belong to it (a pinned service's would be removed).
  writeFileSync(project + '/apps/web.yaml', 'image: {repository: ghcr.io/acme/web, tag: "p' + id + '-r' + round + '", autoUpdate: true}\\nport: 8080\\n');
  const r = await publish({ projectDir: project, attempts: 20, retryDelayMs: 10 });
  results.push({ round, outcome: r.outcome, commit: r.commit, attempts: r.attempts });
}
writeFileSync(out, JSON.stringify(results));
`;

/** The fifth process: commits Image Updater write-back files into the publishers' folders, retrying its own pushes like Image Updater. */
const WRITER = `
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
const [remote, dir, count, teams, out] = process.argv.slice(2);
const git = (...args) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
execFileSync('git', ['clone', '-q', remote, dir], { stdio: 'ignore' });
const written = [];
for (let n = 1; n <= Number(count); n++) {
  const team = 'team' + (((n - 1) % Number(teams)) + 1);
  const file = team + '/stage/web/.argocd-source-web-stage.yaml';
  const content = 'kustomize:\\n  images:\\n  - ghcr.io/acme/web:w' + n + '\\n';
  for (let attempt = 1; ; attempt++) {
    try { git('fetch', '-q', 'origin'); git('reset', '-q', '--hard', 'origin/main'); } catch { /* the branch may not exist yet */ }
    mkdirSync(dir + '/' + team + '/stage/web', { recursive: true });
    writeFileSync(dir + '/' + file, content);
    git('add', file);
    git('commit', '-q', '-m', 'build: automatic update of ' + file);
    try { git('push', '-q', 'origin', 'HEAD:refs/heads/main'); written.push({ file, content, commit: git('rev-parse', 'HEAD') }); break; }
    catch (e) { if (attempt > 200) throw e; await new Promise((r) => setTimeout(r, 5 + Math.random() * 20)); }
  }
}
writeFileSync(out, JSON.stringify(written));
`;

function run(script: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, ...gitEnv() },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${script} exited ${code}: ${stderr}`))));
  });
}

function tinyProject(remote: string, team: string): string {
  const dir = tempDir('gitops-synth-racer-');
  mkdirSync(join(dir, 'apps'));
  mkdirSync(join(dir, 'environments'));
  writeFileSync(
    join(dir, 'environments', 'stage.yaml'),
    'namespace: tiny\ndomain: tiny.example.com\ncluster: https://kubernetes.default.svc\ningress: {className: nginx}\nimagePolicy: {strategy: newest-build, allowTags: any}\n',
  );
  writeFileSync(
    join(dir, 'environments', '_settings.yaml'),
    `repository: {url: ${remote}, branch: main, path: ${team}}\n`,
  );
  return dir;
}

describe('publish racing', () => {
  it('four publishers racing one branch for twenty rounds while write-backs land: every commit kept, history linear, nothing forced', async () => {
    const work = tempDir('gitops-synth-race-');
    const remote = bareRepo(work);
    const publisherScript = join(work, 'publisher.mjs');
    const writerScript = join(work, 'writer.mjs');
    writeFileSync(publisherScript, PUBLISHER);
    writeFileSync(writerScript, WRITER);

    const teams = Array.from({ length: PUBLISHERS }, (_, i) => `team${i + 1}`);
    const outputs = teams.map((t) => join(work, `${t}.json`));
    const writerOut = join(work, 'writer.json');
    await Promise.all([
      ...teams.map((team, i) =>
        run(publisherScript, [tinyProject(remote, team), String(i + 1), String(ROUNDS), outputs[i]!]),
      ),
      run(writerScript, [remote, join(work, 'writer-clone'), String(WRITE_BACKS), String(PUBLISHERS), writerOut]),
    ]);

    const published = outputs.map(
      (o) =>
        JSON.parse(readFileSync(o, 'utf8')) as { round: number; outcome: string; commit: string; attempts: number }[],
    );
    const written = JSON.parse(readFileSync(writerOut, 'utf8')) as { file: string; content: string; commit: string }[];
    const head = git(remote, ['rev-parse', 'main']);

    // Every publisher pushed every round, and each of its commits carries that round's tag in its own folder only.
    published.forEach((rounds, i) => {
      const team = teams[i]!;
      expect(rounds.map((r) => r.outcome)).toEqual(Array(ROUNDS).fill('pushed'));
      for (const r of rounds) {
        expect(git(remote, ['show', `${r.commit}:${team}/stage/web/kustomization.yaml`])).toContain(
          `newTag: p${i + 1}-r${r.round}`,
        );
        const touched = git(remote, ['diff-tree', '--no-commit-id', '--name-only', '-r', '--root', r.commit]).split(
          '\n',
        );
        expect(touched.filter((f) => !f.startsWith(`${team}/`))).toEqual([]);
      }
    });
    expect(written).toHaveLength(WRITE_BACKS);
    // The race was real: some pushes were refused and re-applied on a newer head.
    expect(published.flat().some((r) => r.attempts > 1)).toBe(true);

    // No commit lost: every pushed commit is on the branch, and the branch holds nothing else.
    const pushed = [...published.flat().map((r) => r.commit), ...written.map((w) => w.commit)];
    for (const c of pushed) expect(isAncestor(remote, c, head), `${c} is on main`).toBe(true);
    expect(new Set(commits(remote))).toEqual(new Set(pushed));

    // Linear history, and every update of the branch was a fast-forward (no force-push).
    expect(git(remote, ['rev-list', '--min-parents=2', 'main'])).toBe('');
    const updates = refUpdates(remote);
    expect(updates).toHaveLength(pushed.length);
    for (const [from, to] of updates)
      if (!/^0+$/.test(from)) expect(isAncestor(remote, from, to), `${from} → ${to} is a fast-forward`).toBe(true);

    // The end state: each publisher's last round, and each write-back file's last content.
    teams.forEach((team, i) =>
      expect(git(remote, ['show', `main:${team}/stage/web/kustomization.yaml`])).toContain(
        `newTag: p${i + 1}-r${ROUNDS}`,
      ),
    );
    const lastWrite = new Map(written.map((w) => [w.file, w.content]));
    for (const [file, content] of lastWrite) expect(`${git(remote, ['show', `main:${file}`])}\n`).toBe(content);
  }, 900_000);
});
