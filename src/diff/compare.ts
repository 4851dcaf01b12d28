import { applicationName } from '../argocd/names.js';
import { appliedWriteBackFiles } from '../output/write-back.js';
import type { ChangeStatus, UnitChange } from '../publish/plan.js';
import type { ChangeReport } from '../guard/check.js';
import { buildOnHead, compareWithBranch, prepare, withCheckout, type DevopsOptions } from '../publish/publish.js';
import { checkWorkDir } from '../publish/work-dir.js';
import { compareObjects } from './objects.js';
import { tagChanges, type TagChange } from './tags.js';

/** One file that differs, with its objects and, when it changed, its unified diff. */
export interface FileDiff {
  /** Relative to the rendered folder. */
  readonly path: string;
  readonly status: ChangeStatus;
  readonly objects: readonly { readonly label: string; readonly status: ChangeStatus }[];
  /** Unified diff (changed files only), `--- a/…`/`+++ b/…` headers and hunks. */
  readonly patch?: string;
}

/** The differences of one service folder (or other part, such as argocd). */
export interface UnitDiff extends Omit<UnitChange, 'files'> {
  readonly files: readonly FileDiff[];
}

export interface DiffReport {
  /** `<url> <branch>:<path>`, without credentials. */
  readonly where: string;
  /** The branch head compared with; undefined when the branch does not exist yet. */
  readonly head?: string;
  readonly units: readonly UnitDiff[];
  /**
   * What publish would refuse or needs to be told (removals to confirm,
   * changes the API server refuses, acknowledged ones): `diff` reports them
   * and fails for none of them. @default nothing to report
   */
  readonly changes?: ChangeReport;
  /** Services whose running image changes (a tag bump, a pin), before the object diff. */
  readonly tags: readonly TagChange[];
}

/**
 * Compares what the specs render now with what the devops repository's
 * branch holds, exactly as publish would change it (the same plan: Image
 * Updater files are not the generator's and never differ).
 */
export async function diffProject(options: DevopsOptions): Promise<DiffReport> {
  if (options.workDir) checkWorkDir(options.workDir, options.projectDir);
  const context = await prepare(options);
  return withCheckout(options, context, async (checkout) => {
    const { fetched, built, units } = await buildOnHead(checkout, context);
    const base = fetched.head;
    const changes = await compareWithBranch(checkout, context, base);
    const head = new Map<string, string | undefined>();
    const before = async (path: string) => {
      if (!head.has(path)) head.set(path, await checkout.contentAt(base, path));
      return head.get(path);
    };
    const patches = splitPatch(units.length ? await checkout.patch(built, '') : '', context.repository.path);
    const out: UnitDiff[] = [];
    for (const unit of units) {
      const files: FileDiff[] = [];
      for (const f of unit.files) {
        const old = f.status === 'added' ? undefined : await before(f.path);
        const after = context.rendered.tree.get(f.path);
        files.push({
          path: f.path,
          status: f.status,
          objects: compareObjects(f.path, old, after),
          patch: f.status === 'changed' ? patches.get(f.path) : undefined,
        });
      }
      out.push({ ...unit, files });
    }
    // What runs before: the branch head. After: the render, and the write-back files the plan keeps (unchanged).
    const services = units.filter((u) => u.service !== undefined && u.status === 'changed');
    const read = new Map<string, string | undefined>();
    for (const u of services)
      for (const path of [`${u.unit}/app.json`, ...writeBackPaths(u)]) read.set(path, await before(path));
    const kept = new Set(built.applied.plan.keep);
    const tags = tagChanges(
      units,
      (p) => read.get(p),
      (p) => context.rendered.tree.get(p) ?? (kept.has(p) ? read.get(p) : undefined),
    );
    return { where: checkout.where(), head: base, units: out, tags, changes };
  });
}

/**
 * Splits `git diff` output into one patch per file (relative to
 * the rendered folder), without the `diff --git`/`index` lines.
 */
export function splitPatch(text: string, root: string): Map<string, string> {
  const out = new Map<string, string>();
  const prefix = `${root}/`;
  for (const chunk of text.split(/^diff --git /m).slice(1)) {
    const lines = chunk.split('\n');
    const header = /^a\/(.+) b\/(.+)$/.exec(lines[0]!);
    if (!header) continue;
    const path = header[1]!.startsWith(prefix) ? header[1]!.slice(prefix.length) : header[1]!;
    const body = lines.slice(1).filter((l) => !/^(index |new file mode|deleted file mode|old mode|new mode)/.test(l));
    out.set(path, body.join('\n').replace(/\n+$/, ''));
  }
  return out;
}

/** The override files Argo CD would apply in a service folder (see appliedWriteBackFiles). */
function writeBackPaths(u: UnitChange): string[] {
  return appliedWriteBackFiles(applicationName(u.service!, u.environment!)).map((f) => `${u.unit}/${f}`);
}
