import type { AcknowledgedChange, ChangeReport, RefusedChange } from '../guard/check.js';
import { noteLines, refusalLines } from '../guard/format.js';
import type { ChangeStatus } from '../publish/plan.js';
import type { RunningImage } from '../output/write-back.js';
import type { DiffReport, FileDiff, UnitDiff } from './compare.js';
import { describeTagChange } from './tags.js';

const SIGN: Record<ChangeStatus, string> = { added: '+', removed: '-', changed: '~' };

/** Counts of objects by status over the whole report. */
export function countObjects(report: DiffReport): Record<ChangeStatus, number> {
  const n = { added: 0, removed: 0, changed: 0 };
  for (const u of report.units) for (const f of u.files) for (const o of f.objects) n[o.status]++;
  return n;
}

function summary(report: DiffReport): string {
  const n = countObjects(report);
  const folders = report.units.length;
  const refused = changesOf(report).refused.length;
  const objects = `${n.added} object${n.added === 1 ? '' : 's'} added, ${n.removed} removed, ${n.changed} changed`;
  const refusals = refused ? `, ${refused} change${refused === 1 ? '' : 's'} refused by the API server` : '';
  return `${folders} folder${folders === 1 ? ' differs' : 's differ'}: ${objects}${refusals}`;
}

/** The refused and acknowledged changes of one object of a file (a claim template's belong to its StatefulSet). */
function findingsOf(
  report: DiffReport,
  f: FileDiff,
  label: string,
): { refused: RefusedChange[]; acknowledged: AcknowledgedChange[] } {
  const mine = (c: { file: string; object: string }): boolean =>
    c.file === f.path && (c.object === label || c.object.startsWith(`${label} `));
  return { refused: changesOf(report).refused.filter(mine), acknowledged: changesOf(report).acknowledged.filter(mine) };
}

const NO_CHANGES: ChangeReport = {
  origin: '',
  removals: [],
  unmatchedAllowances: [],
  refused: [],
  acknowledged: [],
  notes: [],
};

/** The report's comparison with the previous render; nothing to say when it has none. */
function changesOf(report: DiffReport): ChangeReport {
  return report.changes ?? NO_CHANGES;
}

/** Whether publish would refuse this render (a removal to confirm, or a change the API server refuses). */
function blocked(report: DiffReport): boolean {
  return changesOf(report).removals.length > 0 || changesOf(report).refused.length > 0;
}

function heading(u: UnitDiff): string {
  return u.environment !== undefined ? `${u.environment}/${u.service}` : u.unit;
}

/** Plain or coloured text for a terminal or a CI log. */
export function formatText(report: DiffReport, color: boolean): string {
  const paint = (code: string, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const statusColor: Record<ChangeStatus, string> = { added: '32', removed: '31', changed: '33' };
  if (report.units.length === 0) return `No differences: ${report.where} already holds what the specs render.\n`;
  const out: string[] = [
    paint(
      '1',
      `Differences from ${report.where}` +
        `${report.head ? ` at ${report.head.slice(0, 12)}` : ' (branch does not exist yet)'}:`,
    ),
    '',
  ];
  if (blocked(report)) {
    out.push(paint('1;31', 'Publish would refuse this render:'));
    for (const line of refusalLines({ ...changesOf(report), unmatchedAllowances: [] })) out.push(`  ${line}`);
    out.push('');
  }
  if (report.tags.length) {
    out.push(paint('1', 'Images:'));
    for (const c of report.tags) out.push(`  ${describeTagChange(c)}`);
    out.push('');
  }
  for (const u of report.units) {
    const env = u.environment !== undefined ? `environment ${u.environment}, service ${u.service}` : u.unit;
    out.push(`${paint('1', `${heading(u)}`)} (${env}): ${paint(statusColor[u.status], u.status)}`);
    for (const f of u.files) {
      for (const o of f.objects) {
        const { refused, acknowledged } = findingsOf(report, f, o.label);
        const sign = refused.length
          ? paint('1;31', `! ${o.label}`)
          : paint(statusColor[o.status], `${SIGN[o.status]} ${o.label}`);
        out.push(`  ${sign}  ${paint('2', f.path.slice(u.unit.length + 1) || f.path)}`);
        for (const r of refused)
          out.push(`      ${paint('31', `refused by the API server: ${r.field} ${r.old} → ${r.new}: ${r.why}`)}`);
        for (const a of acknowledged) out.push(`      acknowledged: ${a.field} ${a.old} → ${a.new}: ${a.by}`);
      }
      if (f.patch) {
        for (const line of f.patch.split('\n')) {
          const c =
            line.startsWith('+++') || line.startsWith('---')
              ? '1'
              : line.startsWith('+')
                ? '32'
                : line.startsWith('-')
                  ? '31'
                  : line.startsWith('@@')
                    ? '36'
                    : '';
          out.push(`      ${c ? paint(c, line) : line}`);
        }
      }
    }
    out.push('');
  }
  out.push(summary(report));
  const notes = noteLines(changesOf(report));
  if (notes.length) out.push('', ...notes);
  return `${out.join('\n')}\n`;
}

/** Markdown for a pull-request comment or `$GITHUB_STEP_SUMMARY`; long diffs are cut to stay within GitHub's limits. */
export function formatMarkdown(report: DiffReport, maxChars = 900_000): string {
  if (report.units.length === 0)
    return (
      '### Rendered manifests: no changes\n\n' +
      `\`${escapeCode(report.where)}\` already holds what the specs render.\n`
    );
  const out: string[] = [
    `### Rendered manifests: ${summary(report)}`,
    '',
    `Compared with \`${escapeCode(report.where)}\`` +
      `${report.head ? ` at \`${report.head.slice(0, 12)}\`` : ' (the branch does not exist yet)'}.`,
    '',
  ];
  if (blocked(report)) {
    out.push('#### Publish would refuse this render', '');
    for (const r of changesOf(report).removals) {
      out.push(
        `- **Removal to confirm:** ${escapeHtml(r.reason)}: ${r.items.map((i) => code(i.path)).join(', ')}. ` +
          `Confirm with \`--allow-removal ${escapeCode(r.allowWith)}\`.`,
      );
    }
    for (const r of changesOf(report).refused)
      out.push(
        `- **! ${code(r.object)}** (${code(r.file)}): ${code(r.field)} ${code(r.old)} → ${code(r.new)}: ` +
          `refused by the API server: ${escapeHtml(r.why)}. To make this change: ${escapeHtml(r.how)}.`,
      );
    out.push('');
  }
  if (changesOf(report).acknowledged.length) {
    out.push('#### Acknowledged changes the API server refuses as an update', '');
    for (const a of changesOf(report).acknowledged) {
      const by = escapeHtml(a.by);
      out.push(`- ${code(a.object)} (${code(a.file)}): ${code(a.field)} ${code(a.old)} → ${code(a.new)}: ${by}`);
    }
    out.push('');
  }
  if (report.tags.length) {
    out.push('**Images:**', '');
    for (const c of report.tags) out.push(`- \`${escapeCode(describeTagChange(c))}\``);
    out.push('');
  }
  out.push('| Environment | Service | Added | Removed | Changed |', '|---|---|---|---|---|');
  for (const u of report.units) {
    const list = (s: ChangeStatus): string =>
      u.files
        .flatMap((f) =>
          f.objects
            .filter((o) => o.status === s)
            .map((o) => `${findingsOf(report, f, o.label).refused.length ? '**!** ' : ''}\`${escapeCode(o.label)}\``),
        )
        .join(', ');
    out.push(
      `| ${escapeCell(u.environment ?? '')} | ` +
        `${escapeCell(u.service ?? u.unit)}${u.status === 'changed' ? '' : ` (${u.status})`} | ` +
        `${list('added')} | ${list('removed')} | ${list('changed')} |`,
    );
  }
  out.push('');
  let used = out.join('\n').length;
  let cut = false;
  for (const u of report.units) {
    for (const f of u.files) {
      if (!f.patch) continue;
      const fence = '`'.repeat(Math.max(3, longestBacktickRun(f.patch) + 1));
      const block = [
        `<details><summary>${escapeHtml(heading(u))}: ` +
          `${escapeHtml(f.objects.map((o) => o.label).join(', '))} ` +
          `(<code>${escapeHtml(f.path)}</code>)</summary>`,
        '',
        `${fence}diff`,
        f.patch,
        fence,
        '',
        '</details>',
        '',
      ].join('\n');
      if (used + block.length > maxChars) {
        cut = true;
        continue;
      }
      out.push(block);
      used += block.length + 1;
    }
  }
  if (cut)
    out.push('_Some diffs were left out to stay within the size limit; run `gitops-synth diff` to see them all._', '');
  const notes = noteLines(changesOf(report));
  if (notes.length) {
    const fence = '`'.repeat(Math.max(3, longestBacktickRun(notes.join('\n')) + 1));
    out.push('<details><summary>Notes</summary>', '', `${fence}text`, ...notes, fence, '', '</details>', '');
  }
  return out.join('\n');
}

function longestBacktickRun(s: string): number {
  let max = 0;
  for (const m of s.matchAll(/`+/g)) max = Math.max(max, m[0].length);
  return max;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** Inline code in Markdown. */
function code(s: string): string {
  return `\`${escapeCode(s)}\``;
}

function escapeCode(s: string): string {
  return s.replace(/`/g, "'").replace(/\|/g, '\\|');
}

/**
 * The report as `diff --json` gives it: stable keys, an absent fact as null.
 * `patch` is the unified diff of a changed file (null for added and removed
 * files, whose objects are listed).
 */
export function reportJson(report: DiffReport): Record<string, unknown> {
  return {
    where: report.where,
    head: report.head ?? null,
    equal: report.units.length === 0,
    summary: { folders: report.units.length, objects: countObjects(report) },
    // What publish would refuse or must be told; diff reports it and fails for none of it.
    changes: report.changes ? changesJson(report.changes) : null,
    // The running image per changed service (a tag bump, a pin): what a reviewer reads first.
    tags: report.tags.map((t) => ({
      service: t.service,
      environment: t.environment,
      before: imageJson(t.before),
      after: imageJson(t.after),
    })),
    units: report.units.map((u) => ({
      unit: u.unit,
      environment: u.environment ?? null,
      service: u.service ?? null,
      status: u.status,
      files: u.files.map((f) => ({
        path: f.path,
        status: f.status,
        objects: f.objects.map((o) => ({ label: o.label, status: o.status })),
        patch: f.patch ?? null,
      })),
    })),
  };
}

function imageJson(i: RunningImage): Record<string, unknown> {
  return { repository: i.repository, tag: i.tag, autoUpdate: i.autoUpdate, from: i.from };
}

function changesJson(c: ChangeReport): Record<string, unknown> {
  return {
    origin: c.origin,
    removals: c.removals.map((r) => ({
      reason: r.reason,
      allowWith: r.allowWith,
      items: r.items.map((i) => ({ path: i.path, what: i.what })),
    })),
    unmatchedAllowances: c.unmatchedAllowances,
    refused: c.refused.map((r) => ({
      file: r.file,
      object: r.object,
      field: r.field,
      old: r.old,
      new: r.new,
      why: r.why,
      how: r.how,
      spec: { file: r.at.file, line: r.at.line ?? null, column: r.at.column ?? null, field: r.at.field || null },
    })),
    acknowledged: c.acknowledged.map((a) => ({
      file: a.file,
      object: a.object,
      field: a.field,
      old: a.old,
      new: a.new,
      by: a.by,
    })),
    notes: c.notes.map((paragraph) => paragraph.join('\n')),
  };
}
