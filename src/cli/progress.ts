import type { PhaseCounts, PhaseListener, SynthPhase } from '../pipeline/pipeline.js';

/** Where the progress line goes: stderr, so stdout stays the result. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  /** --progress (true) or --no-progress (false); undefined: on a terminal unless CI is set. */
  readonly enabled?: boolean;
  /** Nothing is shown before a run took this long. @default 2000 */
  readonly delayMs?: number;
  /** @default process.stderr */
  readonly stream?: ProgressStream;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default performance.now */
  readonly now?: () => number;
  /** How often the elapsed time is redrawn while the process waits (kubectl, git); 0: never. @default 250 */
  readonly tickMs?: number;
}

/**
 * One line on stderr saying what a long run is doing ("rendering 12 service
 * folders (3s)"), shown once the run took longer than about two seconds and
 * only on a terminal outside CI, redrawn in place and erased before anything
 * else is printed, so it never mixes with the output. Quiet when stderr is
 * piped, in CI, or with --no-progress.
 */
export class Progress {
  private readonly stream: ProgressStream;
  private readonly enabled: boolean;
  private readonly delayMs: number;
  private readonly now: () => number;
  private readonly started: number;
  private readonly timer: NodeJS.Timeout | undefined;
  private label: string | undefined;
  /** The line on screen; undefined when there is none. */
  private drawn: string | undefined;
  private stopped = false;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.enabled = options.enabled ?? progressByDefault(this.stream, options.env ?? process.env);
    this.delayMs = options.delayMs ?? 2000;
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
    const tick = options.tickMs ?? 250;
    if (this.enabled && tick > 0) {
      this.timer = setInterval(() => this.draw(), tick);
      // Never keeps the process alive.
      this.timer.unref();
    }
  }

  /** What the run does now, e.g. "cloning the devops repository". */
  stage(label: string): void {
    this.label = label;
    this.draw();
  }

  /**
   * A listener for the pipeline's stages (synth, validate): each finished
   * stage names the next, with its counts; `then` is what the command does
   * after the last stage (e.g. "reading the devops repository").
   */
  phases(then?: string): PhaseListener {
    this.stage(STARTING);
    return (phase, _ms, counts) => {
      const next = nextStage(phase, counts) ?? then;
      if (next) this.stage(next);
    };
  }

  /** Prints whole lines to the progress stream without garbling them: the progress line is erased first. */
  print(text: string): void {
    this.erase();
    this.stream.write(text);
    this.draw();
  }

  /** Erases the line for good; call before printing the result. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.erase();
  }

  private draw(): void {
    if (!this.enabled || this.stopped || this.label === undefined) return;
    const elapsed = this.now() - this.started;
    if (elapsed < this.delayMs) return;
    const text = `gitops-synth: ${this.label} (${Math.floor(elapsed / 1000)}s)`;
    // One character short of the width: a line that fills it wraps on some terminals, and \r would not reach it.
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    const line = text.length > width ? `${text.slice(0, width - 1)}…` : text;
    if (line === this.drawn) return;
    this.stream.write(`\r${line}\x1b[K`);
    this.drawn = line;
  }

  private erase(): void {
    if (this.drawn === undefined) return;
    this.stream.write('\r\x1b[K');
    this.drawn = undefined;
  }
}

/** On a terminal (not a dumb one), unless CI is set (to anything but "false" or "0"). */
export function progressByDefault(stream: ProgressStream, env: NodeJS.ProcessEnv): boolean {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return stream.isTTY === true && env.TERM !== 'dumb' && !ci;
}

/** Runs `body` with a progress line for `--progress`, erased before anything after it prints. */
export async function withProgress<T>(
  progress: boolean | undefined,
  body: (progress: Progress) => Promise<T>,
): Promise<T> {
  const p = new Progress({ enabled: progress });
  try {
    return await body(p);
  } finally {
    p.stop();
  }
}

const STARTING = 'loading the specs';

const plural = (n: number | undefined, one: string, many = `${one}s`): string => `${n ?? 0} ${n === 1 ? one : many}`;

/** The stage that starts when `finished` ends, described with the counts known by then. */
export function nextStage(finished: SynthPhase, c: PhaseCounts): string | undefined {
  switch (finished) {
    case 'load':
      return `resolving ${plural(c.services, 'service')} in ${plural(c.environments, 'environment')}`;
    case 'resolve':
      return `rendering ${plural(c.folders, 'service folder')}`;
    case 'render':
      return `checking ${plural(c.objects, 'object')} against their schemas`;
    case 'guard':
      return `comparing ${plural(c.files, 'file')} with the output folder`;
    case 'schemas':
    case 'compare':
      return `writing ${plural(c.files, 'file')}`;
    case 'write':
      return `building ${plural(c.folders, 'folder')} with kubectl kustomize`;
    case 'kustomize':
      return 'moving the changed files in';
    case 'apply':
      return undefined;
  }
}
