/**
 * Typed errors for everything a user wrote. Each error carries where it was
 * written (file, line, column), which field, what was expected, and what was
 * found, so the CLI can print one line a problem that points at the spot.
 */
export interface SpecLocation {
  /** Path of the file, relative to the project root. */
  readonly file: string;
  /** 1-based line, when the field could be located. */
  readonly line?: number;
  /** 1-based column, when the field could be located. */
  readonly column?: number;
}

export interface SpecProblem extends SpecLocation {
  /** Dotted field path inside the file, e.g. `ports[0].port`; empty for the whole file. */
  readonly field: string;
  /** What is wrong and what was expected, in one sentence. */
  readonly message: string;
  /** A line that stands for problems not shown (see MAX_PROBLEMS_PER_FILE): listed after its file's others. */
  readonly summary?: boolean;
}

export function formatProblem(p: SpecProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  return p.field ? `${where}: ${p.field}: ${p.message}` : `${where}: ${p.message}`;
}

/** One or more problems in the specs. Thrown only after every problem found so far was collected. */
export class SpecError extends Error {
  readonly problems: readonly SpecProblem[];
  constructor(problems: readonly SpecProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'SpecError';
    this.problems = problems;
  }
}

/** A rendered object or folder failed schema or kustomize validation. */
export class ValidationError extends Error {
  readonly failures: readonly string[];
  constructor(failures: readonly string[]) {
    super(failures.join('\n'));
    this.name = 'ValidationError';
    this.failures = failures;
  }
}

/** Collects problems so that one run reports all of them, not just the first. */
export class ProblemList {
  private readonly items: SpecProblem[] = [];
  add(p: SpecProblem): void {
    this.items.push(p);
  }
  get length(): number {
    return this.items.length;
  }
  /** The problems so far, in the order they were added. */
  toArray(): SpecProblem[] {
    return [...this.items];
  }
  /** Throws a SpecError holding every problem, sorted by file and position, when there is any. */
  throwIfAny(): void {
    if (this.items.length === 0) return;
    const sorted = [...this.items].sort(
      (a, b) =>
        a.file.localeCompare(b.file) ||
        Number(a.summary ?? false) - Number(b.summary ?? false) ||
        (a.line ?? 0) - (b.line ?? 0) ||
        (a.column ?? 0) - (b.column ?? 0) ||
        a.message.localeCompare(b.message),
    );
    throw new SpecError(sorted);
  }
}

/** Renders a field path the way a user would write it: `ports[0].port`. */
export function fieldPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
