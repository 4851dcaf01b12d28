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

/** One sync window of the environment's AppProject (Argo CD `syncWindows`). */
export const syncWindowSchema = z.strictObject({
  /** `allow`: syncs happen only inside the window; `deny`: no syncs inside it. */
  kind: z.enum(['allow', 'deny'], { error: 'expected allow or deny' }),
  /** When the window opens, as a cron schedule, e.g. "0 18 * * 5" (Friday 18:00). */
  schedule: z.string().trim().regex(CRON, 'expected a cron schedule of five fields, e.g. "0 18 * * 5"'),
  /** How long the window stays open, e.g. 8h or 1h30m. */
  duration: z
    .string()
    .regex(DURATION, 'expected a duration such as 8h, 90m or 1h30m')
    .refine((d) => d !== '', { message: 'expected a duration such as 8h, 90m or 1h30m' }),
  /** IANA time zone of the schedule. @default "UTC" */
  timeZone: z
    .string()
    .refine(isTimeZone, { message: 'expected an IANA time zone such as Europe/Berlin or UTC' })
    .optional(),
  /** Manual syncs are still allowed when the window blocks automated ones. @default false */
  manualSync: flag(),
});
export type SyncWindowSpec = z.infer<typeof syncWindowSchema>;

/** An environment's sync policy. */
export const environmentSyncSchema = z.strictObject({
  /** Argo CD syncs every new commit by itself; false makes a manual sync the release gate. @default true */
  automated: flag(),
  /** Automated syncs delete objects that are no longer rendered. @default true */
  prune: flag(),
  /** Automated syncs undo changes made in the cluster by hand. @default true */
  selfHeal: flag(),
  /** Sync windows of the environment's AppProject. @default none */
  windows: z.array(syncWindowSchema, { error: 'expected a list of sync windows' }).optional(),
});
export type EnvironmentSyncSpec = z.infer<typeof environmentSyncSchema>;

/** A service's override of its environment's sync policy; unset fields follow the environment. */
export const serviceSyncSchema = z.strictObject({
  automated: flag(),
  prune: flag(),
  selfHeal: flag(),
});
export type ServiceSyncSpec = z.infer<typeof serviceSyncSchema>;
