import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it, type TestContext } from 'vitest';

/**
 * System programs some tests run for real (not npm packages): where one is
 * not installed, exactly the tests that need it are skipped, each with the
 * reason, and the file prints once which tool is missing and how to install
 * it. They never fail for it. `.ci/run` installs them, so CI runs them all.
 */
export type SystemTool = 'shellcheck' | 'nginx' | 'openssl' | 'script';

const PACKAGE: Record<SystemTool, string> = {
  shellcheck: 'shellcheck',
  nginx: 'nginx-light',
  openssl: 'openssl',
  script: 'util-linux',
};

export interface RequiredTool {
  /** Absolute path of the program on PATH; undefined when it is not installed. */
  readonly path: string | undefined;
  /** Why tests that need it are skipped, e.g. "shellcheck is not installed (apt-get install shellcheck)". */
  readonly reason: string;
  /** `it` for a test that needs the tool: skipped with the reason when it is missing. */
  readonly it: (name: string, fn: (ctx: TestContext) => unknown, timeout?: number) => void;
  /** `describe` for a group whose hooks and tests need the tool: skipped, the reason printed, when it is missing. */
  readonly describe: (name: string, fn: () => void) => void;
  /** Inside a test: skips the rest of it, with the reason, when the tool is missing. */
  skipUnlessInstalled(ctx: TestContext): void;
}

/** The program `name` as PATH finds it (an executable file), or undefined. */
export function findOnPath(name: string, path: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

export function requireTool(tool: SystemTool): RequiredTool {
  const path = findOnPath(tool);
  const reason = `${tool} is not installed (apt-get install ${PACKAGE[tool]})`;
  let told = false;
  const tell = () => {
    if (told || path) return;
    told = true;
    console.warn(`gitops-synth tests: ${reason}: skipping the tests that need it`);
  };
  return {
    path,
    reason,
    it: (name, fn, timeout) => {
      if (path) it(name, fn, timeout);
      else {
        tell();
        it(name, (ctx) => ctx.skip(reason));
      }
    },
    describe: (name, fn) => {
      if (path) describe(name, fn);
      else {
        tell();
        describe.skip(`${name} [skipped: ${reason}]`, fn);
      }
    },
    skipUnlessInstalled: (ctx) => {
      if (path) return;
      tell();
      ctx.skip(reason);
    },
  };
}
