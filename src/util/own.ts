/**
 * `record[key]` when the record has that key of its own, else undefined.
 * Records of a spec are keyed by names the user chose, and a name such as
 * `constructor` or `toString` would otherwise find Object.prototype's.
 */
export function ownValue<T>(record: Readonly<Record<string, T>> | null | undefined, key: string): T | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}
