import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pinReason } from '../src/lifecycle/pin.js';
import { entryComment, removeTrailingComment, setEntryComment, setScalar } from '../src/lifecycle/yaml-edit.js';
import { RenderedTree } from '../src/output/tree.js';
import { autoUpdatedFolders, decideWriteBacks } from '../src/output/write-back.js';
import { sameTree, writeTreeAtomically } from '../src/write/atomic-tree.js';
import { tempDir } from './helpers.js';
import { writeFiles } from './synth-fixtures.js';

const AT = ['environments', 'prod', 'image', 'autoUpdate'];

describe('the comment beside a pin', () => {
  it('goes at the end of the line of a block entry, replacing one there, and reads back', () => {
    const text =
      'image:\n  tag: 1\nenvironments:\n  prod:\n    image:\n      tag: 1.4.1  # keep me\n      autoUpdate: false  # old\n';
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

  it("dist/: a pinned service's write-back makes an otherwise unchanged output differ, and a write leaves it behind", () => {
    const dir = join(tempDir(), 'dist');
    writeTreeAtomically(dir, tree);
    writeFiles(dir, { 'stage/api/.argocd-source-api-stage.yaml': 'kustomize: {}\n' });
    expect(sameTree(dir, tree, [])).toEqual({ imageUpdaterFiles: ['stage/api/.argocd-source-api-stage.yaml'] });
    writeFiles(dir, { 'prod/api/.argocd-source-api-prod.yaml': 'kustomize: {}\n' });
    expect(sameTree(dir, tree, [])).toBeUndefined();
    const result = writeTreeAtomically(dir, tree);
    expect(result.preserved).toEqual(['stage/api/.argocd-source-api-stage.yaml']);
    expect(result.overriding).toEqual(['prod/api/.argocd-source-api-prod.yaml']);
    expect(sameTree(dir, tree, [])).toEqual({ imageUpdaterFiles: ['stage/api/.argocd-source-api-stage.yaml'] });
  });
});
