import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { tempDir } from './helpers.js';
import { bareRepo, commitProject, commits, exampleProject, git, runCliAsync, setSettings } from './publish-fixtures.js';
import { requireTool } from './system-tools.js';

/**
 * A real https git server: Node's https in front of `git http-backend`,
 * accepting only `Authorization: Basic base64(x-access-token:<token>)`. It
 * proves the token reaches git (the push only works with it) while the test
 * checks it never reaches the output, the work clone's files or its config.
 */
interface GitServer {
  readonly url: string;
  readonly remote: string;
  /** A HOME whose .gitconfig trusts the server's self-signed certificate. */
  readonly home: string;
  /** The server's certificate. */
  readonly caFile: string;
  readonly requests: { authorized: boolean }[];
  close(): Promise<void>;
}

const servers: GitServer[] = [];
afterEach(async () => {
  while (servers.length) await servers.pop()!.close();
});

/** The https server's self-signed certificate is made with openssl. */
const openssl = requireTool('openssl');

async function gitServer(token: string): Promise<GitServer> {
  const dir = tempDir('gitops-synth-https-');
  const remote = bareRepo(dir);
  execFileSync(
    openssl.path!,
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const home = join(dir, 'home');
  mkdirSync(home);
  writeFileSync(join(home, '.gitconfig'), `[http]\n\tsslCAInfo = ${join(dir, 'cert.pem')}\n`);
  const expected = `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  const requests: { authorized: boolean }[] = [];

  const server: Server = createServer(
    { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    (req, res) => {
      const authorized = req.headers.authorization === expected;
      requests.push({ authorized });
      if (!authorized) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="devops"' });
        res.end();
        return;
      }
      const url = new URL(req.url ?? '/', 'https://localhost');
      const cgi = spawn('git', ['http-backend'], {
        env: {
          PATH: process.env.PATH,
          GIT_PROJECT_ROOT: dir,
          GIT_HTTP_EXPORT_ALL: '1',
          GIT_CONFIG_NOSYSTEM: '1',
          HOME: home,
          PATH_INFO: url.pathname,
          QUERY_STRING: url.search.slice(1),
          REQUEST_METHOD: req.method ?? 'GET',
          CONTENT_TYPE: req.headers['content-type'] ?? '',
          ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
          HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
          REMOTE_USER: 'x-access-token',
          REMOTE_ADDR: '127.0.0.1',
        },
      });
      req.pipe(cgi.stdin);
      let head = Buffer.alloc(0);
      let started = false;
      cgi.stdout.on('data', (chunk: Buffer) => {
        if (started) return void res.write(chunk);
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        let status = 200;
        const headers: Record<string, string> = {};
        for (const line of head.subarray(0, end).toString().split('\r\n')) {
          const colon = line.indexOf(':');
          const [name, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
          if (name.toLowerCase() === 'status') status = parseInt(value, 10);
          else headers[name] = value;
        }
        res.writeHead(status, headers);
        res.write(head.subarray(end + 4));
        started = true;
      });
      cgi.stdout.on('end', () => res.end());
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const handle: GitServer = {
    url: `https://localhost:${port}/devops.git`,
    remote,
    home,
    caFile: join(dir, 'cert.pem'),
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
  servers.push(handle);
  return handle;
}

/** Every file below `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (readFileSync(full).includes(needle)) hits.push(full);
    }
  };
  walk(dir);
  return hits;
}

openssl.describe('publish credentials', () => {
  it('pushes with a token from the environment that never appears in output, in the work clone or in its .git/config', async () => {
    const token = `ghp_${randomBytes(18).toString('hex')}`;
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    const server = await gitServer(token);
    const project = exampleProject();
    setSettings(project, { repository: { url: server.url, branch: 'main', path: 'clusters/shop' } });
    commitProject(project, 'the devops repository is served over https');
    // The project's own clone was made with the token in its URL, as some CI set-ups do.
    git(project, ['remote', 'set-url', 'origin', `https://x-access-token:${token}@github.com/acme-shop/shop.git`]);
    const workDir = join(tempDir('gitops-synth-work-'), 'devops');
    // The caller's own git settings in the environment (here: trust the server's certificate) are kept
    // beside the token's header, which goes after them.
    const ownConfig = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.sslCAInfo', GIT_CONFIG_VALUE_0: server.caFile };

    const published = await runCliAsync(['publish', '--project', project, '--work-dir', workDir], {
      ...ownConfig,
      GITOPS_SYNTH_GIT_TOKEN: token,
    });
    expect(published.code, published.stderr).toBe(0);
    expect(commits(server.remote)).toHaveLength(1);
    expect(server.requests.some((r) => r.authorized)).toBe(true);

    const diff = await runCliAsync(['diff', '--project', project, '--work-dir', workDir], {
      HOME: server.home,
      GITOPS_SYNTH_GIT_TOKEN: token,
    });
    expect(diff.code, diff.stderr).toBe(0);
    const dry = await runCliAsync(['publish', '--dry-run', '--project', project, '--work-dir', workDir], {
      HOME: server.home,
      GITOPS_SYNTH_GIT_TOKEN: token,
    });
    expect(dry.code, dry.stderr).toBe(0);

    for (const out of [published, diff, dry]) {
      expect(out.stdout + out.stderr).not.toContain(token);
      expect(out.stdout + out.stderr).not.toContain(basic);
    }
    expect(readFileSync(join(workDir, '.git', 'config'), 'utf8')).not.toContain(token);
    expect(filesContaining(workDir, token)).toEqual([]);
    expect(filesContaining(workDir, basic)).toEqual([]);
    expect(git(workDir, ['remote', 'get-url', 'origin'])).toBe(server.url);
    // Nor in what was pushed: the commit message names the source repository without the token.
    const message = git(server.remote, ['log', '-1', '--format=%B', 'main']);
    expect(message).not.toContain(token);
    expect(message).toContain('Source-Repository: https://github.com/acme-shop/shop');
  });

  it('fails clearly without the right token, printing neither the wrong one nor the URL with credentials, and leaves the remote empty', async () => {
    const token = `ghp_${randomBytes(18).toString('hex')}`;
    const wrong = `ghp_${randomBytes(18).toString('hex')}`;
    const server = await gitServer(token);
    const project = exampleProject();
    setSettings(project, { repository: { url: server.url, branch: 'main', path: 'clusters/shop' } });
    commitProject(project, 'the devops repository is served over https');

    const missing = await runCliAsync(['publish', '--project', project], { HOME: server.home });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/could not read Username|Authentication failed|terminal prompts disabled/);
    expect(missing.stderr).toContain('no credentials from the environment');

    const refused = await runCliAsync(['publish', '--project', project], {
      HOME: server.home,
      GITOPS_SYNTH_GIT_TOKEN: wrong,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('token from GITOPS_SYNTH_GIT_TOKEN');
    expect(refused.stdout + refused.stderr).not.toContain(wrong);
    expect(refused.stdout + refused.stderr).not.toContain(Buffer.from(`x-access-token:${wrong}`).toString('base64'));
    expect(refused.stderr).not.toContain('internal error');
    expect(commits(server.remote)).toEqual([]);
  });
});
