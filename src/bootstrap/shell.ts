/** One shell word in single quotes, so the shell never expands anything in it. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
