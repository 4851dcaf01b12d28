import { describe, expect, it } from 'vitest';
import { cliPublish, type Published, race, raceSummary, raceViolations } from '../bench/race.js';
import { type DevopsContext, prepare, publishRendered } from '../src/publish/publish.js';
import { CLI, tempDir } from './helpers.js';

/**
 * Publishers racing one devops branch while Image Updater's write-backs land
 * between them (bench/race.ts): nothing fails, nothing is lost, nothing is
 * forced, at the shipped retry defaults. The suite's race (4 publishers × 8
 * rounds, right-sized as issue 12 asks; 30 s of CPU at 4 × 20) publishes in this
 * process, each racer from its own clone with real git processes racing for
 * real: each round is a full publish (dirty check, fresh work clone, fetch,
 * commit, push, retries) of one of two renders each racer made once (two
 * tags, alternating), so the race is git's, not the renderer's. A smaller
 * race runs the real CLI, rendering every time. The full-size race, 4 × 20
 * through the CLI with each publisher rendering every round, is
 * `npm run bench -- --race`.
 */

describe('publish racing', () => {
  it('four publishers racing one branch for eight rounds while write-backs land: 0 failed, 0 lost, 0 forced', async () => {
    const renders = new Map<string, Promise<DevopsContext>>();
    const report = await race({
      publishers: 4,
      rounds: 8,
      writeBacks: 8,
      work: tempDir('gitops-synth-race-'),
      tag: (racer, round) => `p${racer}-${round % 2 ? 'a' : 'b'}`,
      publish: async (racer, round, env): Promise<Published> => {
        const options = { projectDir: racer.project, environ: env };
        // The spec of this round is committed already: the first round of each tag renders it.
        const key = `${racer.index}/${round % 2}`;
        if (!renders.has(key)) renders.set(key, prepare(options));
        const context = await renders.get(key)!;
        const started = performance.now();
        try {
          // The shipped defaults: no retry option given.
          const r = await publishRendered(context, options);
          const ms = performance.now() - started;
          return { racer: racer.index, round, outcome: r.outcome, commit: r.commit, attempts: r.attempts, ms };
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          return { racer: racer.index, round, outcome: 'failed', attempts: 0, error, ms: performance.now() - started };
        }
      },
    });
    console.log(raceSummary(report));
    expect(raceViolations(report)).toEqual([]);
    // The race was real: some pushes were refused and rebuilt on a newer head.
    expect(report.published.some((p) => p.attempts > 1)).toBe(true);
  }, 300_000);

  it('through the real CLI, with each retry logging the reason git gave', async () => {
    const report = await race({
      publishers: 3,
      rounds: 1,
      writeBacks: 3,
      work: tempDir('gitops-synth-race-cli-'),
      tag: (racer, round) => `c${racer}-r${round}`,
      publish: (racer, round, env) => cliPublish(CLI, racer, round, env),
    });
    console.log(raceSummary(report));
    expect(raceViolations(report)).toEqual([]);
    for (const p of report.published) {
      const refusals = p.log?.match(/push refused \(attempt \d+\): .*/g) ?? [];
      expect(refusals).toHaveLength(p.attempts - 1);
      for (const line of refusals)
        expect(line).toMatch(/: refs\/heads\/main \[(remote )?rejected\] \(.+\).*; fetching the new head/);
    }
  }, 300_000);
});
