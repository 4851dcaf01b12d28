import { formatProblem } from '../spec/errors.js';
import type { ChangeReport } from './check.js';

/**
 * The lines a refused render prints (below the command's own first line):
 * each removal with what exactly goes and the flag that confirms it, each
 * refused change with its spec location, object, field, old → new, why the
 * API server refuses it, and how to make it.
 */
export function refusalLines(report: ChangeReport): string[] {
  const out: string[] = [];
  if (report.removals.length) {
    out.push('Removals that need confirming:');
    for (const r of report.removals) {
      out.push(`  ${r.reason}:`);
      for (const item of r.items) out.push(`    ${item.path}: ${item.what}`);
      out.push(`  To remove ${r.items.length === 1 ? 'it' : 'them'}, run again with --allow-removal ${r.allowWith}`);
    }
    if (report.removals.length > 1)
      out.push(`  To remove all of the above: --allow-removal ${report.removals.map((r) => r.allowWith).join(',')}`);
  }
  for (const entry of report.unmatchedAllowances)
    out.push(
      `--allow-removal ${entry}: names nothing this render removes; expected only what it removes ` +
        `(an environment, or environment/service), so that a confirmation never outlives its removal`,
    );
  if (report.refused.length) {
    out.push('Changes the API server refuses as an update (Argo CD would fail the sync):');
    for (const r of report.refused) {
      out.push(`  ${formatProblem(r.at)}`);
      out.push(`    refused by the API server: ${r.why}`);
      out.push(`    to make this change: ${r.how}`);
    }
  }
  return out;
}

/** What to do about the acknowledged changes, and reminders, as printed after a successful render. */
export function noteLines(report: ChangeReport): string[] {
  return report.notes.flatMap((paragraph) =>
    paragraph.map((l, i) => (i === 0 ? `gitops-synth: note: ${l}` : `  ${l}`)),
  );
}
