import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandsFor } from '../src/cli/commands/index.js';
import { cliParser } from '../src/cli/main.js';
import { REPO } from './helpers.js';

/** `gitops-synth <path> --help` as printed at a terminal `columns` wide, rendered in-process. */
async function help(path: readonly string[], columns: number): Promise<string> {
  const commands = await commandsFor('all');
  return new Promise((resolve, reject) => {
    cliParser({ command: '', json: false }, commands, { columns })
      .parseAsync([...path, '--help'], {}, (err, _argv, output) => (err ? reject(err) : resolve(output)))
      .catch(reject);
  });
}

/** Every command path, found the way a reader finds them: from the Commands list of each --help. */
async function commandPaths(): Promise<string[][]> {
  const found: string[][] = [];
  const visit = async (path: string[]): Promise<void> => {
    found.push(path);
    const text = await help(path, 200);
    const section = text.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
    for (const line of section.split('\n')) {
      const words = /^ {2}gitops-synth ((?:[a-z-]+ ?)+)/.exec(line)?.[1]?.trim().split(' ');
      if (words) await visit(words);
    }
  };
  await visit([]);
  return found;
}

/** The Examples section as [comment, command] pairs; fails when a command runs onto a second line. */
function examplesOf(text: string, where: string): [string, string][] {
  const lines = text.split('\n');
  let i = lines.indexOf('Examples:');
  if (i < 0) return [];
  const pairs: [string, string][] = [];
  for (i++; lines[i]?.startsWith('  # '); i += 3) {
    const [comment, command, after] = [lines[i]!, lines[i + 1] ?? '', lines[i + 2] ?? ''];
    expect(command, `${where}: the command of "${comment}"`).toMatch(/^ {2}\S/);
    expect(command, `${where}: the command of "${comment}" is a command, not a comment`).not.toMatch(/^ {2}#/);
    // A wrapped command would continue on the next line; after a whole one comes a blank line.
    expect(after, `${where}: "${command.trim()}" runs onto a second line`).toBe('');
    pairs.push([comment.slice(4), command.trim()]);
  }
  return pairs;
}

describe('--help', () => {
  it('shows every example command whole on one line at 80 and 120 columns, and every exit status', async () => {
    const paths = await commandPaths();
    expect(paths.map((p) => p.join(' '))).toEqual(
      expect.arrayContaining(['synth', 'validate', 'diff', 'publish', 'app add', 'app list', 'app remove']),
    );
    let examples = 0;
    for (const path of paths) {
      const leaf = path.length > 0 && path.join(' ') !== 'app';
      for (const columns of [80, 120]) {
        const where = `gitops-synth ${path.join(' ')} --help at ${columns} columns`;
        const text = await help(path, columns);
        for (const line of text.split('\n')) expect(line.length, `${where}: ${line}`).toBeLessThanOrEqual(columns);
        const pairs = examplesOf(text, where);
        if (leaf) {
          expect(pairs.length, `${where} has examples`).toBeGreaterThan(0);
          expect(pairs.filter(([, command]) => /(^|\s)gitops-synth\s/.test(command)).length, where).toBeGreaterThan(0);
          // The exit codes are documented on every command (wrapping may split the words of the paragraph).
          expect(text.replace(/\s+/g, ' '), where).toMatch(/Exit status[^:]*: 0 .*; 1 .*; 2 /);
        }
        examples += pairs.length;
      }
    }
    expect(examples).toBeGreaterThan(20);
  });

  it('the top-level help lists the commands, --project, --version, --progress and the exit codes', async () => {
    const text = await help([], 120);
    expect(text).toMatch(/gitops-synth synth\s+Render apps\/ × environments\/ into dist\/ \(dist\/<env>\/<service>\//);
    expect(text).toMatch(/gitops-synth validate\s+Check the specs and everything synth would write/);
    expect(text).toMatch(/--project\s+Project folder holding apps\/, environments\/ and dist\//);
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('-V, --version Show the version of gitops-synth');
    expect(flat).toContain('--progress Show the stage and count of a run longer than two seconds on stderr');
    expect(flat).toContain("diff's are its own: 0 equal, 1 different, 2 any error");
  });

  it('synth --help describes the kill-safe write, --out, --check and --json; validate --help says it writes nothing', async () => {
    const synth = await help(['synth'], 120);
    expect(synth).toContain('validate what changed, and write only that, kill-safe');
    expect(synth).toMatch(/--out\s+Output folder.*\[default: <project>\/dist\]/);
    expect(synth).toMatch(
      /--check\s+Write nothing; exit 1 when the output folder is not exactly what the specs render/,
    );
    expect(synth).toMatch(/--json\s+Print the summary/);
    expect(synth).toMatch(/--project\s+/);
    const validate = await help(['validate'], 120);
    expect(validate).toContain('without writing anything');
    expect(validate).toMatch(/--project\s+/);
    expect(validate).not.toContain('--out');
  });

  it('-V is --version', async () => {
    const version = await new Promise<string>((resolve) =>
      cliParser({ command: '', json: false }, []).parseAsync(['-V'], {}, (_err, _argv, output) => resolve(output)),
    );
    expect(version).toBe(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
  });
});
