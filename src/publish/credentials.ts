/**
 * How git reaches the devops repository: credentials come from the
 * environment the pipeline provides and travel to git only through the
 * environment of its processes, so they never land in `.git/config`, in a
 * remote URL, on a command line (visible in `ps`) or in any output.
 */

/** An https token (a GitHub PAT or app token with contents: write on the devops repo). */
export const TOKEN_ENV = 'GITOPS_SYNTH_GIT_TOKEN';
/**
 * User name sent with the token.
 * @default "x-access-token" (what GitHub expects for app and Actions tokens; PATs accept it too)
 */
export const TOKEN_USER_ENV = 'GITOPS_SYNTH_GIT_USER';
/** Path of an SSH private key file for ssh:// and git@ URLs. */
export const SSH_KEY_FILE_ENV = 'GITOPS_SYNTH_SSH_KEY_FILE';

/**
 * Variables of git's own that a run passes through from its environment: commit identity and a pipeline's SSH command.
 */
const PASSED_THROUGH = [
  'GIT_AUTHOR_NAME',
  'GIT_AUTHOR_EMAIL',
  'GIT_AUTHOR_DATE',
  'GIT_COMMITTER_NAME',
  'GIT_COMMITTER_EMAIL',
  'GIT_COMMITTER_DATE',
  'GIT_SSH_COMMAND',
];

/** Variables that make git run another program (editor, pager, askpass); a publish needs none of them. */
const COMMAND_VARIABLES = ['EDITOR', 'VISUAL', 'PAGER', 'SSH_ASKPASS', 'PREFIX'];

export interface GitAccess {
  /** The complete environment of every git process of the run. */
  readonly env: Record<string, string>;
  /** How the run authenticates, for logs: never the credential itself. */
  readonly method: string;
  /** Removes every credential, and anything URL-embedded that looks like one, from a text before it is shown. */
  readonly redact: (text: string) => string;
}

/**
 * The environment of git processes for `gitUrl`. A token becomes an
 * `Authorization` header through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/
 * `GIT_CONFIG_VALUE_n`, scoped to the URL's host; an SSH key file becomes
 * `GIT_SSH_COMMAND`. The caller's own `GIT_CONFIG_*` settings (such as a
 * `url.<base>.insteadOf` rewrite, or a CA file) are kept, and the header is
 * added after them. Other `GIT_*` variables of the caller's environment are
 * dropped (a stray `GIT_DIR` or `GIT_WORK_TREE` must not redirect the run),
 * except the identity and SSH command listed above, and so are the variables
 * that make git start other programs (EDITOR, PAGER, ...). Prompts are turned off:
 * missing credentials fail instead of hanging a pipeline.
 */
export function gitAccess(gitUrl: string, environ: NodeJS.ProcessEnv = process.env): GitAccess {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(environ)) {
    if (v === undefined) continue;
    if (/^GIT_/i.test(k) && !PASSED_THROUGH.includes(k) && !CONFIG_FILES.includes(k)) continue;
    if (COMMAND_VARIABLES.includes(k.toUpperCase())) continue;
    env[k] = v;
  }
  env.GIT_TERMINAL_PROMPT = '0';
  const secrets: string[] = [];
  const config = callerConfig(environ, secrets);
  let method = 'no credentials from the environment';

  const token = environ[TOKEN_ENV];
  const http = /^(https?:\/\/)([^/]+)/i.exec(gitUrl);
  if (token) secrets.push(token);
  if (http) {
    if (token) {
      const user = environ[TOKEN_USER_ENV] || 'x-access-token';
      const basic = Buffer.from(`${user}:${token}`).toString('base64');
      secrets.push(basic);
      const host = http[2]!.replace(/^[^@]*@/, '');
      // Scoped to the host, so the header never goes anywhere else (not even where an insteadOf rewrite points).
      config.push([`http.${http[1]!.toLowerCase()}${host}/.extraHeader`, `Authorization: Basic ${basic}`]);
      method = `token from ${TOKEN_ENV}`;
    }
  } else if (/^git:\/\//i.test(gitUrl)) {
    method = 'the git protocol (no credentials)';
  } else {
    const keyFile = environ[SSH_KEY_FILE_ENV];
    if (keyFile) {
      env.GIT_SSH_COMMAND = `ssh -i ${shellQuote(keyFile)} -o IdentitiesOnly=yes -o BatchMode=yes`;
      method = `SSH key from ${SSH_KEY_FILE_ENV}`;
    } else if (env.GIT_SSH_COMMAND) {
      method = 'SSH with GIT_SSH_COMMAND from the environment';
    } else {
      env.GIT_SSH_COMMAND = 'ssh -o BatchMode=yes';
      method = 'SSH with the ssh-agent or default keys';
    }
    if (token) method += ` (${TOKEN_ENV} is not used for SSH)`;
  }
  if (config.length) {
    env.GIT_CONFIG_COUNT = String(config.length);
    config.forEach(([key, value], i) => {
      env[`GIT_CONFIG_KEY_${i}`] = key;
      env[`GIT_CONFIG_VALUE_${i}`] = value;
    });
  }

  return {
    env,
    method,
    redact: (text) => redact(text, secrets),
  };
}

/** Variables naming git configuration files; the caller's own set-up, kept like its GIT_CONFIG_COUNT entries. */
const CONFIG_FILES = ['GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM', 'GIT_CONFIG_NOSYSTEM'];

/**
 * The caller's `GIT_CONFIG_COUNT` entries, in order (none when the count is
 * not a number, as git itself would refuse it). Values of headers are
 * credentials of the caller's: they are redacted like ours.
 */
function callerConfig(environ: NodeJS.ProcessEnv, secrets: string[]): [string, string][] {
  const count = Number(environ.GIT_CONFIG_COUNT ?? '0');
  if (!Number.isInteger(count) || count < 0) return [];
  const out: [string, string][] = [];
  for (let i = 0; i < count; i++) {
    const key = environ[`GIT_CONFIG_KEY_${i}`];
    const value = environ[`GIT_CONFIG_VALUE_${i}`] ?? '';
    if (key === undefined) continue;
    if (/extraheader|password|token/i.test(key)) secrets.push(value.replace(/^Authorization:\s*\S+\s+/i, ''));
    out.push([key, value]);
  }
  return out;
}

/** Hides the given secrets and any `user:password@` in URLs. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of [...secrets].filter((x) => x.length >= 4).sort((a, b) => b.length - a.length))
    out = out.split(s).join('***');
  return out
    .replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+:[^/@\s]+@/gi, '$1***@')
    .replace(/(Authorization:\s*(?:Basic|Bearer)\s+)\S+/gi, '$1***');
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
