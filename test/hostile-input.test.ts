import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  cpSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { addCommand } from '../src/cli/commands/app/add.js';
import { addService } from '../src/lifecycle/add.js';
import { newService } from '../src/lifecycle/new-service.js';
import { planRemoval, purgeScript } from '../src/lifecycle/removal.js';
import type { Renderer } from '../src/output/renderer.js';
import { RenderedTree } from '../src/output/tree.js';
import { DEFAULT_RENDERERS, renderProject, synth } from '../src/pipeline/pipeline.js';
import { OUTPUT_FOLDERS } from '../src/spec/layout.js';
import { formatProblem, SpecError } from '../src/spec/errors.js';
import { BASE_DIR } from './bad-specs/corpus.js';
import { runCli, tempDir } from './helpers.js';

/**
 * The hostile and broken input measured in issue 11 (§5–§8), each through
 * the real CLI on a real project: a git repository holding unrelated files
 * and a rendered dist/, beside a folder the project must never read or
 * write. Every refusal is asserted by exit code and located message, and
 * by the whole sandbox (project, .git, dist/, the outside folder, HOME and
 * TMPDIR) being byte for byte as it was. Independent cases share one run.
 */

/** Every entry below `dir`, without following symbolic links: files by content hash, links by target. */
function snapshotAll(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const st = lstatSync(full);
      const key = relative(dir, full);
      if (st.isSymbolicLink()) out[key] = `link ${readlinkSync(full)}`;
      else if (st.isDirectory()) {
        out[key] = 'folder';
        walk(full);
      } else if (st.isFile())
        out[key] = `${st.mode.toString(8)} ${createHash('sha256').update(readFileSync(full)).digest('hex')}`;
      else out[key] = 'other';
    }
  };
  walk(dir);
  return out;
}

const TOKEN = 'ghp_R3alLook1ngT0kenThatMustNeverShow';

interface Sandbox {
  readonly root: string;
  readonly project: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * A sandbox: `project/` (the corpus's base project, a git repository with a
 * commit, unrelated files, and a rendered dist/), `outside/` (a credentials
 * file), and empty `home/` and `tmp/` the CLI gets as HOME and TMPDIR.
 */
async function sandbox(): Promise<Sandbox> {
  const root = tempDir('gitops-synth-hostile-');
  const project = join(root, 'project');
  cpSync(BASE_DIR, project, { recursive: true });
  writeFileSync(join(project, 'NOTES.md'), '# Unrelated notes the tool must never touch\n');
  mkdirSync(join(project, 'scripts'));
  writeFileSync(join(project, 'scripts', 'deploy.sh'), '#!/bin/sh\necho unrelated\n', { mode: 0o755 });
  mkdirSync(join(root, 'outside'));
  writeFileSync(join(root, 'outside', 'token.yaml'), `token: ${TOKEN}\n`, { mode: 0o600 });
  for (const d of ['home', 'tmp']) mkdirSync(join(root, d));
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', project, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args]);
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'specs');
  await synth({ projectDir: project, kustomize: false });
  return { root, project, env: { HOME: join(root, 'home'), TMPDIR: join(root, 'tmp') } };
}

/** Runs the CLI in the sandbox and checks that it changed nothing in it. */
async function refusedWithoutChange(s: Sandbox, args: string[], env: NodeJS.ProcessEnv = {}) {
  const before = snapshotAll(s.root);
  const r = await runCli([...args, '--project', s.project], { env: { ...s.env, ...env }, cwd: s.project });
  expect(snapshotAll(s.root), r.stderr).toEqual(before);
  expect(r.stderr).not.toContain('internal error');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  return r;
}

/** The problem lines of a SpecError as the CLI prints them. */
function problemLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('  '))
    .map((l) => l.slice(2));
}

describe('hostile or broken spec files: located errors, nothing read outside the project, nothing changed', () => {
  it('a 50 MB file, Latin-1 bytes, a !!python tag, a folder named x.yaml and a link to a credential: one run', async () => {
    const s = await sandbox();
    const apps = join(s.project, 'apps');
    // 50 MB without writing 50 MB: the size is checked before a byte is read.
    const fd = openSync(join(apps, 'huge.yaml'), 'w');
    ftruncateSync(fd, 50 * 1024 * 1024);
    closeSync(fd);
    writeFileSync(
      join(apps, 'latin.yaml'),
      Buffer.concat([
        Buffer.from('image: {repository: ghcr.io/acme/l, tag: 1a2b3c4}\nenv:\n  CITY: M'),
        Buffer.from([0xfc]),
        Buffer.from('nchen\n'),
      ]),
    );
    writeFileSync(
      join(apps, 'tagged.yaml'),
      'image: {repository: ghcr.io/acme/t, tag: 1a2b3c4}\ncommand: !!python/object/apply:os.system ["id"]\n',
    );
    mkdirSync(join(apps, 'x.yaml'));
    writeFileSync(join(apps, 'x.yaml', 'inside.txt'), 'a folder, not a spec\n');
    symlinkSync('../../outside/token.yaml', join(apps, 'creds.yaml'));

    const r = await refusedWithoutChange(s, ['synth']);
    expect(r.code).toBe(1);
    expect(problemLines(r.stderr)).toEqual([
      'apps/creds.yaml: is a symbolic link to a file outside the project, ' +
        'which is never read (its content could be anything, even a credential); ' +
        'expected a spec file inside the project: copy the file in instead of linking to it',
      'apps/huge.yaml: is 50 MiB, more than a spec file may hold (1 MiB); ' +
        'expected a smaller file: large content belongs in the image or in a volume, not in a spec',
      'apps/latin.yaml:3:10: holds the byte 0xFC, which is not UTF-8 (the file is in another encoding, ' +
        'such as Latin-1); expected UTF-8 text: save the file as UTF-8',
      "apps/tagged.yaml:2:10: the tag !!python/object/apply:os.system is not part of YAML's core schema, " +
        'so its value would be read differently by other tools; expected a plain value (string, number, ' +
        'true/false, null, mapping or list) without a tag',
      'apps/x.yaml: is a folder, not a file; expected a YAML file (move it out of the folder)',
    ]);
    // Not one piece of the credential is shown.
    for (let i = 0; i + 6 <= TOKEN.length; i++) expect(r.stderr).not.toContain(TOKEN.slice(i, i + 6));
  });
});

describe('names and places that would collide, and limits the API server enforces: located errors, nothing changed', () => {
  it("Argo CD's namespace, a namespace two environments share, an environment named bootstrap, and files: paths: one run", async () => {
    const s = await sandbox();
    const env = (namespace: string, domain: string) =>
      `namespace: ${namespace}\ndomain: ${domain}\ncluster: https://kubernetes.default.svc\n` +
      `ingress: {className: nginx}\nimagePolicy: {strategy: newest-build}\n`;
    const image = (name: string) => `image: {repository: ghcr.io/acme/${name}, tag: 1a2b3c4}\n`;
    writeFileSync(join(s.project, 'environments', 'ops.yaml'), env('argocd', 'ops.example.com'));
    writeFileSync(join(s.project, 'environments', 'qa.yaml'), env('shop-stage', 'qa.example.com'));
    writeFileSync(join(s.project, 'environments', 'bootstrap.yaml'), env('shop-bootstrap', 'b.example.com'));
    writeFileSync(join(s.project, 'apps', 'argocd-server.yaml'), `${image('server')}port: 8080\n`);
    writeFileSync(join(s.project, 'apps', 'argo-cd.yaml'), `${image('argo')}port: 8080\n`);
    writeFileSync(join(s.project, 'apps', '9lives.yaml'), `${image('cat')}port: 8080\n`);
    writeFileSync(
      join(s.project, 'apps', 'files.yaml'),
      `${image('files')}port: 8080\nfiles:\n  /tmp: a\n  /etc/app.conf: b\n  /etc//app.conf: c\n` +
        `  /etc/app/../../root/.profile: d\n`,
    );
    // 2.2 MB once ${service:db} is expanded, from a spec under 1 MiB.
    const hosts = '    ${service:db} ${service:db} ${service:db} ${service:db} ${service:db} ${service:db}\n';
    writeFileSync(
      join(s.project, 'apps', 'big.yaml'),
      `${image('big')}port: 8080\nfiles:\n  /etc/big/hosts: |\n${hosts.repeat(11000)}environments:\n` +
        '  ops: {enabled: false}\n  qa: {enabled: false}\n  prod: {enabled: false}\n',
    );

    const r = await refusedWithoutChange(s, ['synth']);
    expect(r.code).toBe(1);
    expect(problemLines(r.stderr)).toEqual([
      'apps/9lives.yaml:1:1: name: the file name "9lives" is used as the name, ' +
        'and it is not a DNS-1035 label, as a Service name must be; expected lower-case letters, ' +
        'digits and "-", starting with a letter (rename the file or set name:)',
      expect.stringMatching(
        /^apps\/big\.yaml:3:1: files: the files add up to 2,1\d\d,\d\d\d bytes in the ConfigMap big-files, and the API server refuses a ConfigMap over 1 MiB; expected at most 1,000,000 bytes/,
      ),
      'apps/files.yaml:4:3: files["/tmp"]: /tmp is a folder in every image, ' +
        'and a file cannot be mounted over a folder; expected a file path inside it, ' +
        'such as /tmp/<service>.conf',
      'apps/files.yaml:6:3: files["/etc//app.conf"]: /etc//app.conf is not written in its normal form (no ' +
        '"//", "." or trailing "/"), so two spellings could name one place; expected /etc/app.conf',
      'apps/files.yaml:7:3: files["/etc/app/../../root/.profile"]: /etc/app/../../root/.profile has a ".." ' +
        'segment, which the container would resolve to another place than the one written; ' +
        'expected an absolute path without ".."',
      'environments/bootstrap.yaml:1:1: name: the environment name "bootstrap" is also the folder ' +
        'dist/bootstrap/ where gitops-synth writes its own files; expected another name (not argocd or ' +
        'bootstrap): rename the file or set name:',
      "environments/ops.yaml:1:12: namespace: argocd is Argo CD's own namespace (argocd.namespace in " +
        "_settings.yaml): the services would be rendered over Argo CD's objects (a service named argocd-server " +
        'would replace its Deployment), and the root Application would prune them; ' +
        "expected a namespace of the environment's own, such as ops",
      'environments/stage.yaml:1:12: namespace: namespace shop-stage on cluster ' +
        "https://kubernetes.default.svc is also environment qa's (environments/qa.yaml): two Argo CD " +
        "Applications would own the same objects and prune each other's; " +
        'expected a namespace of its own on each cluster',
    ]);
  });

  it("every folder at the top of the output is an environment's or one OUTPUT_FOLDERS reserves", async () => {
    const s = await sandbox();
    const folders = readdirSync(join(s.project, 'dist')).filter((n) => !n.startsWith('.'));
    expect(folders.filter((n) => !OUTPUT_FOLDERS.includes(n)).sort()).toEqual(['prod', 'stage']);
    // A renderer writing into an environment's folder is stopped with the environment's name located.
    const intruder: Renderer = () => {
      const tree = new RenderedTree();
      tree.add('stage/intruder.yaml', 'x: 1\n');
      return { tree, objects: [] };
    };
    await expect(renderProject(s.project, [...DEFAULT_RENDERERS, intruder])).rejects.toThrow(
      /environments\/stage\.yaml:\d+:\d+: name: the environment name "stage" is also the folder dist\/stage\//,
    );
  });

  it('a service argocd in an environment config would be a second root Application argocd-config', async () => {
    const s = await sandbox();
    writeFileSync(
      join(s.project, 'environments', 'config.yaml'),
      'namespace: shop-config\ndomain: config.example.com\ncluster: https://kubernetes.default.svc\n' +
        'ingress: {className: nginx}\nimagePolicy: {strategy: newest-build}\n',
    );
    writeFileSync(
      join(s.project, 'apps', 'argocd.yaml'),
      'image: {repository: ghcr.io/acme/a, tag: 1a2b3c4}\nport: 8080\n',
    );
    const r = await refusedWithoutChange(s, ['synth']);
    expect(r.code).toBe(1);
    expect(problemLines(r.stderr)).toEqual([
      'apps/argocd.yaml:1:1: name: the Argo CD Application of service "argocd" in environment config would ' +
        'be named "argocd-config", the name of gitops-synth\'s own AppProject and Application argocd-config in ' +
        'namespace argocd; expected another service name',
    ]);
  });
});

describe('names JavaScript treats specially are ordinary names', () => {
  it('env and secretEnv named __proto__, constructor and toString, an environment named constructor, and a file inside /tmp all render', async () => {
    const s = await sandbox();
    writeFileSync(
      join(s.project, 'environments', 'constructor.yaml'),
      'namespace: shop-ctor\ndomain: ctor.example.com\ncluster: https://kubernetes.default.svc\n' +
        'ingress: {className: nginx}\nimagePolicy: {strategy: newest-build}\n' +
        'monitoring: {labels: {constructor: x}}\n',
    );
    writeFileSync(
      join(s.project, 'apps', 'odd.yaml'),
      [
        'image: {repository: ghcr.io/acme/odd, tag: 1a2b3c4}',
        'port: 8080',
        'env:',
        '  __proto__: p',
        '  constructor: c',
        '  toString: t',
        'secretEnv:',
        '  hasOwnProperty: {secret: odd, key: h}',
        'files:',
        '  /tmp/odd.conf: a',
        '  /etc/odd/__proto__: b',
        'environments:',
        '  constructor: {replicas: 3, env: {valueOf: v}}',
        '',
      ].join('\n'),
    );
    const r = await runCli(['synth', '--project', s.project], { env: s.env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const deployment = parse(
      readFileSync(join(s.project, 'dist', 'constructor', 'odd', 'deployment-odd.yaml'), 'utf8'),
    );
    expect(deployment.spec.replicas).toBe(3);
    const container = deployment.spec.template.spec.containers[0];
    expect(container.env.map((e: { name: string }) => e.name)).toEqual([
      'hasOwnProperty',
      '__proto__',
      'constructor',
      'toString',
      'valueOf',
    ]);
    // The file inside /tmp is mounted into the /tmp emptyDir, which stays (and comes first).
    expect(container.volumeMounts).toEqual([
      { name: 'synth-tmp', mountPath: '/tmp' },
      { name: 'synth-files', mountPath: '/etc/odd/__proto__', subPath: 'etc_odd___proto__', readOnly: true },
      { name: 'synth-files', mountPath: '/tmp/odd.conf', subPath: 'tmp_odd.conf', readOnly: true },
    ]);
    const configMap = parse(
      readFileSync(join(s.project, 'dist', 'constructor', 'odd', 'configmap-odd-files.yaml'), 'utf8'),
    );
    expect(configMap.data).toEqual({ etc_odd___proto__: 'b', 'tmp_odd.conf': 'a' });
  });
});

describe('a missing or broken kubectl: named, with how to restore it, exit 2, nothing changed', () => {
  it('GITOPS_SYNTH_KUBECTL naming nothing, a file that is not executable, and a binary that fails', async () => {
    const s = await sandbox();
    // Without dist/, every folder must be built (a synth that finds every folder unchanged in dist/ runs no kubectl).
    rmSync(join(s.project, 'dist'), { recursive: true });
    const bin = join(s.root, 'tmp');
    const notExecutable = join(bin, 'kubectl-plain');
    writeFileSync(notExecutable, '#!/bin/sh\nexit 0\n');
    const failing = join(bin, 'kubectl-failing');
    writeFileSync(failing, '#!/bin/sh\necho "segmentation fault (core dumped)" >&2\nexit 139\n');
    chmodSync(failing, 0o755);
    const restore = 'unset GITOPS_SYNTH_KUBECTL to use the bundled kubectl';
    const cases: [string, RegExp][] = [
      [join(bin, 'nowhere', 'kubectl'), /names a file that does not exist; expected the path of a kubectl binary/],
      [notExecutable, /names a file that is not executable \(chmod \+x it\)/],
      [failing, /is broken: `kubectl version --client` failed \(exit 139: segmentation fault \(core dumped\)\)/],
    ];
    for (const [kubectl, why] of cases) {
      const r = await refusedWithoutChange(s, ['synth'], { GITOPS_SYNTH_KUBECTL: kubectl });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(kubectl);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toMatch(new RegExp(`${restore.replace(/ /g, '\\s')}|fix GITOPS_SYNTH_KUBECTL`));
      expect(r.stderr).toMatch(/nothing was written\.\n$/);
    }
  });
});

describe('what app add renders starts on a real cluster', () => {
  it("the --help example (redis) runs as the image's redis user, with its port named redis", async () => {
    // The examples --help shows, as the command declares them.
    const examples: string[] = [];
    const yargs: Record<string, unknown> = new Proxy(
      {},
      {
        get: (_target, key) =>
          key === 'example'
            ? (command: string) => {
                examples.push(command);
                return yargs;
              }
            : () => yargs,
      },
    );
    (addCommand.builder as (y: unknown) => unknown)(yargs);
    const example = examples.map((e) => /^\$0 (app add cache --image redis:\S+ .*)$/.exec(e)).find(Boolean);
    expect(example, examples.join('\n')).toBeDefined();
    const root = tempDir('gitops-synth-add-');
    const project = join(root, 'project');
    cpSync(BASE_DIR, project, { recursive: true });
    const r = await runCli([...example![1]!.split(' '), '--project', project]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("note: runs as uid 999 (the redis image's redis user)");
    expect(r.stderr).toContain("note: port 6379 is Redis's: named redis");
    expect(parse(readFileSync(join(project, 'apps', 'cache.yaml'), 'utf8'))).toMatchObject({
      ports: [{ name: 'redis', port: 6379 }],
      securityContext: { runAsUser: 999, runAsGroup: 999, fsGroup: 999 },
    });
    const deployment = parse(readFileSync(join(project, 'dist', 'stage', 'cache', 'deployment-cache.yaml'), 'utf8'));
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999 });
    expect(pod.containers[0].ports).toEqual([{ name: 'redis', containerPort: 6379, protocol: 'TCP' }]);
    const service = parseAllDocuments(
      readFileSync(join(project, 'dist', 'stage', 'cache', 'service-cache.yaml'), 'utf8'),
    )[0]!.toJS();
    expect(service.spec.ports[0].name).toBe('redis');
  });

  it('for an image whose user is unknown, warns naming --run-as-user; the flags set the user', () => {
    expect(newService({ name: 'shop', image: 'ghcr.io/acme/shop:1.0.0', port: '8080' }).notes).toEqual([
      {
        warning: true,
        text:
          "the user ghcr.io/acme/shop runs as is unknown here: if its Dockerfile's USER is not a numeric " +
          'non-root uid, pass --run-as-user <uid> (and --run-as-group, --fs-group), ' +
          'or the pod stops at CreateContainerConfigError',
      },
    ]);
    const withUser = newService({
      name: 'shop',
      image: 'ghcr.io/acme/shop:1.0.0',
      port: 'grpc:9000',
      runAsUser: '10001',
      runAsGroup: '10001',
      volume: ['data:/data:1Gi'],
    });
    expect(withUser.notes).toEqual([]);
    expect(parse(withUser.text)).toMatchObject({
      ports: [{ name: 'grpc', port: 9000 }],
      securityContext: { runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001 },
    });
    // postgres:*-alpine runs as uid 70, and its entrypoint writes outside the data volume.
    expect(parse(newService({ name: 'db', image: 'postgres:18.1-alpine', port: '5432' }).text)).toMatchObject({
      ports: [{ name: 'tcp-postgres', port: 5432 }],
      securityContext: { runAsUser: 70, runAsGroup: 70, readOnlyRootFilesystem: false },
    });
  });

  it('a rolled-back app add points at the option that caused a problem, not into the file it removed', async () => {
    const project = tempDir('gitops-synth-add-');
    cpSync(BASE_DIR, project, { recursive: true });
    let lines: string[] = [];
    try {
      await addService(project, { name: 'shop', image: 'ghcr.io/acme/shop:1.0.0', port: '8080', expose: 'api' });
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      lines = err.problems.map(formatProblem);
    }
    expect(lines).toEqual([
      'app add shop (apps/shop.yaml was not written): --expose (expose.subdomain): host api.example.com with ' +
        'path / is already routed to service "api" in environment prod; ' +
        'expected another path or subdomain (services may share a host with different paths, ' +
        'the longest prefix winning)',
      'app add shop (apps/shop.yaml was not written): --expose (expose.subdomain): host ' +
        'api.stage.example.com with path / is already routed to service "api" in environment stage; ' +
        'expected another path or subdomain (services may share a host with different paths, ' +
        'the longest prefix winning)',
    ]);
  });
});

describe('the volume purge script shows the cluster and asks before deleting', () => {
  it('goes ahead only for the context named, and then only against that context', () => {
    const project = tempDir('gitops-synth-purge-');
    cpSync(BASE_DIR, project, { recursive: true });
    // Nothing else may reference db for it to be removed.
    for (const f of ['api.yaml', 'worker.yaml']) {
      const file = join(project, 'apps', f);
      writeFileSync(
        file,
        readFileSync(file, 'utf8')
          .replace('${service:db}', 'db.example.com')
          .replace(/dependsOn: \[db\]\n/, ''),
      );
    }
    const script = join(project, 'purge.sh');
    writeFileSync(script, purgeScript(planRemoval(project, 'db')));
    const bin = join(project, 'bin');
    mkdirSync(bin);
    const log = join(project, 'calls.log');
    writeFileSync(
      join(bin, 'kubectl'),
      `#!/bin/sh\necho "$*" >> ${log}\ncase "$*" in\n  "config current-context") echo prod-cluster ;;\n` +
        `  config\\ view*) printf https://prod.example.com:6443 ;;\nesac\n`,
    );
    chmodSync(join(bin, 'kubectl'), 0o755);
    const run = (env: Record<string, string>) => {
      writeFileSync(log, '');
      const r = spawnSync('bash', [script], {
        encoding: 'utf8',
        input: '',
        env: { PATH: `${bin}:${process.env.PATH}`, ...env },
      });
      return { ...r, calls: readFileSync(log, 'utf8').trim().split('\n') };
    };

    const unattended = run({});
    expect(unattended.status).toBe(1);
    expect(unattended.stdout).toContain('kubectl context: prod-cluster (cluster https://prod.example.com:6443)');
    expect(unattended.stdout).toContain(
      'every PersistentVolumeClaim of template data of StatefulSet db in namespace shop-prod, with ALL THEIR DATA',
    );
    expect(unattended.stderr).toContain('set PURGE_CONTEXT=prod-cluster to confirm this context; nothing was deleted');
    expect(unattended.calls.every((c) => c.startsWith('config '))).toBe(true);

    const otherContext = run({ PURGE_CONTEXT: 'stage-cluster' });
    expect(otherContext.status).toBe(1);
    expect(otherContext.calls.every((c) => c.startsWith('config '))).toBe(true);

    const confirmed = run({ PURGE_CONTEXT: 'prod-cluster' });
    expect(confirmed.status, confirmed.stderr).toBe(0);
    const changes = confirmed.calls.filter((c) => !c.startsWith('config '));
    expect(changes.length).toBeGreaterThan(0);
    for (const c of changes) expect(c.startsWith('--context prod-cluster ')).toBe(true);
  });
});
