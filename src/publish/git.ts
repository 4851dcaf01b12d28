import { spawn } from 'node:child_process';

/** What one git process printed, and how it ended. */
export interface GitOutput {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface GitRun {
  /** Working folder of the process. */
  readonly cwd?: string;
  /** The complete environment (gitAccess().env, plus any GIT_INDEX_FILE). @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Written to the process's stdin. */
  readonly input?: string | Buffer;
}

/**
 * Runs git and collects both of its outputs whatever the exit code, so a
 * refused push is read from what git says (`--porcelain` lines, `remote:`
 * lines) rather than guessed from an exception. Asynchronous: publishers
 * racing in one process really run their git processes side by side.
 */
export function runGit(args: readonly string[], run: GitRun = {}): Promise<GitOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: run.cwd, env: run.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    // A git that exits before reading all of its input must not crash the run with EPIPE.
    child.stdin.on('error', () => {});
    child.on('close', (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    child.stdin.end(run.input ?? '');
  });
}

/** git's message without its `hint:` lines and trailing blanks. */
export function gitMessage(output: GitOutput): string {
  return output.stderr
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0 && !l.startsWith('hint:'))
    .join('\n');
}
