import type { ChangeStatus } from '../publish/plan.js';
import type { DiffReport, UnitDiff } from './compare.js';
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
  return `${folders} folder${folders === 1 ? ' differs' : 's differ'}: ${n.added} object${n.added === 1 ? '' : 's'} added, ${n.removed} removed, ${n.changed} changed`;
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
      `Differences from ${report.where}${report.head ? ` at ${report.head.slice(0, 12)}` : ' (branch does not exist yet)'}:`,
    ),
    '',
  ];
  if (report.tags.length) {
    out.push(paint('1', 'Images:'));
    for (const c of report.tags) out.push(`  ${describeTagChange(c)}`);
    out.push('');
  }
  for (const u of report.units) {
    const env = u.environment !== undefined ? `environment ${u.environment}, service ${u.service}` : u.unit;
    out.push(`${paint('1', `${heading(u)}`)} (${env}): ${paint(statusColor[u.status], u.status)}`);
    for (const f of u.files) {
      for (const o of f.objects)
        out.push(
          `  ${paint(statusColor[o.status], `${SIGN[o.status]} ${o.label}`)}  ${paint('2', f.path.slice(u.unit.length + 1) || f.path)}`,
        );
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
  return `${out.join('\n')}\n`;
}

/** Markdown for a pull-request comment or `$GITHUB_STEP_SUMMARY`; long diffs are cut to stay within GitHub's limits. */
export function formatMarkdown(report: DiffReport, maxChars = 900_000): string {
  if (report.units.length === 0)
    return `### Rendered manifests: no changes\n\n\`${escapeCode(report.where)}\` already holds what the specs render.\n`;
  const out: string[] = [
    `### Rendered manifests: ${summary(report)}`,
    '',
    `Compared with \`${escapeCode(report.where)}\`${report.head ? ` at \`${report.head.slice(0, 12)}\`` : ' (the branch does not exist yet)'}.`,
    '',
  ];
  if (report.tags.length) {
    out.push('**Images:**', '');
    for (const c of report.tags) out.push(`- \`${escapeCode(describeTagChange(c))}\``);
    out.push('');
  }
  out.push('| Environment | Service | Added | Removed | Changed |', '|---|---|---|---|---|');
  for (const u of report.units) {
    const list = (s: ChangeStatus): string =>
      u.files
        .flatMap((f) => f.objects.filter((o) => o.status === s).map((o) => `\`${escapeCode(o.label)}\``))
        .join(', ');
    out.push(
      `| ${escapeCell(u.environment ?? '')} | ${escapeCell(u.service ?? u.unit)}${u.status === 'changed' ? '' : ` (${u.status})`} | ${list('added')} | ${list('removed')} | ${list('changed')} |`,
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
        `<details><summary>${escapeHtml(heading(u))}: ${escapeHtml(f.objects.map((o) => o.label).join(', '))} (<code>${escapeHtml(f.path)}</code>)</summary>`,
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

function escapeCode(s: string): string {
  return s.replace(/`/g, "'").replace(/\|/g, '\\|');
}
