import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatMarkdown } from '../src/diff/format.js';
import { tagChanges } from '../src/diff/tags.js';
import { pinReason, pinService, unpinService } from '../src/lifecycle/pin.js';
import { formatListing, type ServiceListing } from '../src/lifecycle/service-list.js';
import { entryComment, removeTrailingComment, setEntryComment, setScalar } from '../src/lifecycle/yaml-edit.js';
import { OWNERSHIP_FILE, ownershipRecord } from '../src/output/ownership.js';
import { RenderedTree } from '../src/output/tree.js';
import { autoUpdatedFolders, decideWriteBacks } from '../src/output/write-back.js';
import { writeTree } from '../src/write/tree-writer.js';
import { copyExample, tempDir } from './helpers.js';
import { writeFiles } from './synth-fixtures.js';

const AT = ['environments', 'prod', 'image', 'autoUpdate'];

describe('the comment beside a pin', () => {
  it('goes at the end of the line of a block entry, replacing one there, and reads back', () => {
    const text =
      'image:\n  tag: 1\nenvironments:\n  prod:\n    image:\n      tag: 1.4.1  # keep me\n' +
      '      autoUpdate: false  # old\n';
    const out = setEntryComment(text, AT, 'pinned: 1.4.7 corrupts uploads')!;
    expect(out).toBe(text.replace('false  # old', 'false  # pinned: 1.4.7 corrupts uploads'));
    expect(entryComment(out, AT)).toBe('pinned: 1.4.7 corrupts uploads');
    expect(pinReason(out, 'prod')).toBe('1.4.7 corrupts uploads');
    expect(removeTrailingComment(out, AT, (c) => c.startsWith('pinned'))).toBe(text.replace('false  # old', 'false'));
  });

  it('goes after a flow mapping that holds the entry, even nested, and leaves comment-less layouts alone', () => {
    const flow = 'environments:\n  prod: {image: {tag: 1.4.1, autoUpdate: false}, replicas: 2}\nname: x\n';
    const out = setEntryComment(flow, AT, 'pinned: why')!;
    expect(out).toBe(flow.replace('replicas: 2}', 'replicas: 2}  # pinned: why'));
    expect(pinReason(out, 'prod')).toBe('why');
    // Written by setScalar into a flow mapping: the pin comment after its closing brace.
    const pinned = setScalar('environments:\n  prod:\n    image: {tag: 1.4.2}\n', AT, false);
    expect(setEntryComment(pinned, AT, 'pinned')).toBe(
      'environments:\n  prod:\n    image: {tag: 1.4.2, autoUpdate: false}  # pinned\n',
    );
    expect(pinReason(`${pinned.trimEnd()}  # pinned\n`, 'prod')).toBeNull();
    // A comment cannot hold a line break.
    expect(setEntryComment(flow, AT, 'two\nlines')).toBeUndefined();
  });

  it('is read from the lines above when there is none at the end, and from the top level when the environment does not pin', () => {
    const above = 'environments:\n  prod:\n    image:\n      # held for the audit\n      autoUpdate: false\n';
    expect(pinReason(above, 'prod')).toBe('held for the audit');
    const top = 'image:\n  repository: postgres\n  autoUpdate: false  # upgrades by hand\n';
    expect(pinReason(top, 'prod')).toBe('upgrades by hand');
    expect(pinReason('image: {repository: postgres, tag: "18.1"}\n', 'prod')).toBeNull();
  });
});

/** A rendered tree with app.json files for these folders (auto-updated or not) and one object each. */
function rendered(folders: Record<string, boolean>): RenderedTree {
  const tree = new RenderedTree();
  for (const [folder, autoUpdate] of Object.entries(folders)) {
    tree.add(`${folder}/app.json`, JSON.stringify({ image: { autoUpdate } }));
    tree.add(`${folder}/deployment.yaml`, 'kind: Deployment\n');
  }
  tree.add('argocd/applicationset-stage.yaml', 'kind: ApplicationSet\n');
  tree.add(OWNERSHIP_FILE, ownershipRecord(tree.paths()));
  return tree;
}

describe('which Image Updater files a render keeps', () => {
  const tree = rendered({ 'stage/api': true, 'prod/api': false });
  const files = [
    'stage/api/.argocd-source-api-stage.yaml',
    'prod/api/.argocd-source-api-prod.yaml',
    'prod/api/.argocd-source.yaml',
    'prod/gone/.argocd-source-gone-prod.yaml',
    'argocd/.argocd-source-argocd-config.yaml',
    '.argocd-source.yaml',
  ];

  it('keeps those of auto-updated folders and of folders that are no service, drops those of pinned and removed services', () => {
    expect(autoUpdatedFolders(tree)).toEqual(new Set(['stage/api']));
    expect(decideWriteBacks(files, tree)).toEqual({
      keep: [
        '.argocd-source.yaml',
        'argocd/.argocd-source-argocd-config.yaml',
        'stage/api/.argocd-source-api-stage.yaml',
      ],
      orphaned: ['prod/gone/.argocd-source-gone-prod.yaml'],
      overriding: ['prod/api/.argocd-source-api-prod.yaml', 'prod/api/.argocd-source.yaml'],
    });
  });

  it("dist/: a pinned service's write-back makes an otherwise unchanged output differ, and a write leaves it behind", async () => {
    const dir = join(tempDir(), 'dist');
    const write = () => writeTree(dir, tree, { projectDir: tempDir() });
    await write();
    writeFiles(dir, { 'stage/api/.argocd-source-api-stage.yaml': 'kustomize: {}\n' });
    expect(await write()).toMatchObject({ unchanged: true, preserved: ['stage/api/.argocd-source-api-stage.yaml'] });
    writeFiles(dir, { 'prod/api/.argocd-source-api-prod.yaml': 'kustomize: {}\n' });
    const result = await write();
    expect(result.unchanged).toBe(false);
    expect(result.preserved).toEqual(['stage/api/.argocd-source-api-stage.yaml']);
    expect(result.overriding).toEqual(['prod/api/.argocd-source-api-prod.yaml']);
    expect(existsSync(join(dir, 'prod/api/.argocd-source-api-prod.yaml'))).toBe(false);
    expect(await write()).toMatchObject({ unchanged: true, preserved: ['stage/api/.argocd-source-api-stage.yaml'] });
  });
});

describe('app pin and unpin, without a render', () => {
  it('change nothing when there is nothing to change', async () => {
    const project = copyExample();
    const file = join(project, 'apps', 'postgres.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        'environments:\n',
        'environments:\n  stage:\n    image: {tag: "18.2", autoUpdate: false}  # pinned: waits for the upgrade\n',
      ),
    );
    const before = readFileSync(file, 'utf8');
    const again = await pinService(project, 'postgres', 'stage', '18.2');
    expect(again.unchanged).toBe('already pinned to 18.2 in stage');
    expect((await pinService(project, 'postgres', 'stage', '18.2', 'waits for the upgrade')).unchanged).toBeDefined();
    expect((await unpinService(project, 'api', 'stage')).unchanged).toBe(
      'not pinned in stage: its image policy already moves the tag',
    );
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});

describe('the app list table', () => {
  it('shows a pin with its reason, and a release with the build it is and where that ran', () => {
    const image = {
      repository: 'ghcr.io/acme/api',
      pinnedTag: '1.4.1',
      writtenBackAt: null,
      autoUpdate: false,
      policy: null,
    };
    const env = (img: Record<string, unknown>) => ({
      deployed: true,
      namespace: 'shop-prod',
      image: { ...image, ...img },
      replicas: 2,
      autoscaling: null,
      url: null,
      volumes: [],
      suspended: false,
    });
    const release = (runs: boolean) => ({
      build: '7a8b9c0',
      commit: null,
      digest: null,
      recordedAt: null,
      testedIn: runs ? [{ environment: 'stage', since: '2030-01-01T00:00:00Z' }] : [],
      runsTestedDigest: runs,
    });
    const listing = {
      environments: ['prod', 'stage'],
      devopsRepository: { readFrom: 'x', error: null },
      services: [
        {
          name: 'api',
          file: 'apps/api.yaml',
          environments: {
            prod: env({
              tag: '1.4.1',
              tagFrom: 'spec',
              pin: { tag: '1.4.1', reason: 'bad 1.4.7' },
              release: release(true),
            }),
            stage: env({ tag: '1.4.1', tagFrom: 'spec', pin: { tag: '1.4.1', reason: null }, release: release(false) }),
          },
        },
      ],
    } as unknown as ServiceListing;
    const lines = formatListing(listing).split('\n');
    expect(lines.find((l) => /^api\s+prod\s/.test(l))).toContain(
      '1.4.1 (pinned: bad 1.4.7) (build 7a8b9c0, ran in stage)',
    );
    expect(lines.find((l) => /^api\s+stage\s/.test(l))).toContain(
      '1.4.1 (pinned) (build 7a8b9c0, ran in no other environment)',
    );
  });
});

describe('the image summary of diff', () => {
  it('reads the image Argo CD runs before and after (write-backs applied) and leaves out what did not move', () => {
    const app = (tag: string, autoUpdate: boolean) =>
      JSON.stringify({ image: { repository: 'ghcr.io/acme/api', tag, autoUpdate } });
    const before: Record<string, string> = {
      'prod/api/app.json': app('1.4.2', true),
      'prod/api/.argocd-source-api-prod.yaml': 'kustomize:\n  images:\n  - ghcr.io/acme/api:1.4.7\n',
      'stage/api/app.json': app('3f9c2a1', true),
      'stage/web/app.json': app('3f9c2a1', true),
    };
    const after: Record<string, string> = {
      'prod/api/app.json': app('1.4.1', false),
      'stage/api/app.json': app('0c0ffee', true),
      'stage/web/app.json': app('3f9c2a1', true),
    };
    const unit = (env: string, service: string) => ({
      unit: `${env}/${service}`,
      environment: env,
      service,
      status: 'changed' as const,
      files: [],
    });
    const units = [unit('prod', 'api'), unit('stage', 'api'), unit('stage', 'web')];
    const tags = tagChanges(
      units,
      (p) => before[p],
      (p) => after[p],
    );
    expect(tags.map((t) => [t.service, t.environment, t.before.tag, t.after.tag])).toEqual([
      ['api', 'prod', '1.4.7', '1.4.1'],
      ['api', 'stage', '3f9c2a1', '0c0ffee'],
    ]);
    const markdown = formatMarkdown({ where: 'devops main:dist', head: 'abc', units: [], tags });
    // No unit: "no changes"; with units the list comes before the table.
    expect(markdown).toContain('no changes');
    const withUnits = formatMarkdown({
      where: 'devops main:dist',
      head: 'abc',
      units: units.map((u) => ({ ...u, files: [] })),
      tags,
    });
    expect(withUnits).toContain(
      '**Images:**\n\n- `api: 1.4.7 → 1.4.1 (prod, pinned)`\n- `api: 3f9c2a1 → 0c0ffee (stage)`\n',
    );
    expect(withUnits.indexOf('**Images:**')).toBeLessThan(withUnits.indexOf('| Environment |'));
  });
});
