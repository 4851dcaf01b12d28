/**
 * Byte (UTF-16 code unit) order of strings: the same on every machine and
 * locale, unlike localeCompare, so sorted output is deterministic.
 */
export function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
