import type { ChangeReport } from './check.js';

/** A render that removes more than it may, or changes what the API server refuses; nothing was written. */
export class ChangeRefusedError extends Error {
  constructor(readonly report: ChangeReport) {
    super(
      `the render changes what needs confirming, compared with ${report.origin}: ${report.removals.length} removal${
        report.removals.length === 1 ? '' : 's'
      } and ${report.refused.length} change${report.refused.length === 1 ? '' : 's'} the API server refuses`,
    );
    this.name = 'ChangeRefusedError';
  }
}
