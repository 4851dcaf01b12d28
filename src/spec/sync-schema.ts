import { z } from 'zod';

/**
 * How Argo CD syncs an environment's Applications (`sync:` in
 * `environments/<env>.yaml`), and a service's override of it (`sync:` in
 * `apps/<name>.yaml`, also under `environments.<env>`).
 */

const flag = () => z.boolean({ error: 'expected true or false' }).optional();

/** Five cron fields, as Argo CD's sync windows read them. */
const CRON = /^[0-9A-Za-z*?/,-]+(\s+[0-9A-Za-z*?/,-]+){4}$/;
/** A Go duration of whole hours, minutes and seconds, e.g. 8h or 1h30m. */
const DURATION = /^([0-9]+h)?([0-9]+m)?([0-9]+s)?$/;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const syncWindowSchema = z
  .strictObject({
    kind: z
      .enum(['allow', 'deny'], { error: 'expected allow or deny' })
      .describe('allow: syncs happen only inside the window; deny: no syncs inside it.'),
    schedule: z
      .string()
      .trim()
      .regex(CRON, 'expected a cron schedule of five fields, e.g. "0 18 * * 5"')
      .describe('When the window opens: a cron schedule of five fields, e.g. "0 18 * * 5" (Fridays at 18:00).'),
    duration: z
      .string()
      .regex(DURATION, 'expected a duration such as 8h, 90m or 1h30m')
      .refine((d) => d !== '', { message: 'expected a duration such as 8h, 90m or 1h30m' })
      .describe('How long the window stays open: hours, minutes and seconds, e.g. 8h, 90m or 1h30m.'),
    timeZone: z
      .string()
      .refine(isTimeZone, { message: 'expected an IANA time zone such as Europe/Berlin or UTC' })
      .optional()
      .describe('IANA time zone of the schedule, e.g. Europe/Berlin. Default: UTC.'),
    manualSync: flag().describe(
      'A person may still sync by hand while the window blocks syncs (for a fix). Default: false.',
    ),
  })
  .describe("A sync window of the environment's AppProject (Argo CD syncWindows).");
export type SyncWindowSpec = z.infer<typeof syncWindowSchema>;

export const environmentSyncSchema = z.strictObject({
  automated: flag().describe(
    'Argo CD syncs every new commit by itself; false makes a person pressing Sync the release gate. Default: true.',
  ),
  prune: flag().describe('Automated syncs delete the objects that are no longer rendered. Default: true.'),
  selfHeal: flag().describe('Automated syncs undo changes made in the cluster by hand. Default: true.'),
  windows: z
    .array(syncWindowSchema, { error: 'expected a list of sync windows' })
    .optional()
    .describe(
      "Sync windows of the environment's AppProject: when syncs may (allow) or may not (deny) happen. Default: none.",
    ),
});
export type EnvironmentSyncSpec = z.infer<typeof environmentSyncSchema>;

// A service's override of its environment's sync policy; a key left out follows the environment.
export const serviceSyncSchema = z.strictObject({
  automated: flag().describe("Argo CD syncs every new commit of this service by itself. Default: the environment's."),
  prune: flag().describe(
    "Automated syncs delete this service's objects that are no longer rendered. Default: the environment's.",
  ),
  selfHeal: flag().describe(
    "Automated syncs undo changes made to this service in the cluster by hand. Default: the environment's.",
  ),
});
export type ServiceSyncSpec = z.infer<typeof serviceSyncSchema>;
