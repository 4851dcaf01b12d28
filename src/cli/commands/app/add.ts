import { withProgress } from '../../progress.js';
import type { CommandModule } from 'yargs';
import { addService } from '../../../lifecycle/add.js';
import type { GlobalOptions } from '../../main.js';
import { APP_EXIT_STATUS, repeated } from './shared.js';
import { examples } from '../../help.js';
import { renderedLine } from '../../output.js';

interface AddArgs extends GlobalOptions {
  name: string;
  image: string;
  port?: string;
  expose?: string;
  replicas?: string;
  env?: string | string[];
  secretEnv?: string | string[];
  volume?: string | string[];
  runAsUser?: string;
  runAsGroup?: string;
  fsGroup?: string;
}

export const addCommand: CommandModule<GlobalOptions, AddArgs> = {
  command: 'add <name>',
  describe:
    'Write apps/<name>.yaml for a new service (never overwriting one) and render the project; ' +
    'on any problem nothing changes',
  builder: (y) =>
    examples(y, [
      // Within 76 characters, like every example (help.test.ts); hostile-input.test.ts runs this one.
      ['$0 app add cache --image redis:7 --port 6379 --volume db:/data:1Gi', 'a cache with its port and a volume'],
      ['$0 app add shop --image acme/shop:1.0.0 --port 8080 --expose shop', 'a public web service'],
      ['$0 app add mail --image acme/mail:2.1.0 --env LOG_LEVEL=info', 'a plain environment variable'],
      ['$0 app add mail --image acme/mail:2.1.0 --secret-env KEY=mail/key', 'a variable from a Kubernetes Secret'],
    ])
      .positional('name', {
        type: 'string',
        demandOption: true,
        describe: 'Service name: a DNS-1035 label (lower-case letters, digits, "-", starting with a letter)',
      })
      .option('image', {
        type: 'string',
        demandOption: true,
        describe: 'Image <repository>:<tag>, e.g. ghcr.io/acme/api:1.4.2 (the tag is pinned)',
      })
      .option('port', {
        type: 'string',
        describe:
          "The container's port, [<name>:]<number>, e.g. 8080 (HTTP) or tcp-ldap:389; gives the service a " +
          'ClusterIP Service. A well-known non-HTTP port is named for its protocol (6379: redis, 5432: ' +
          'tcp-postgres, ...)',
      })
      .option('expose', {
        type: 'string',
        describe: 'Expose publicly at <SUBDOMAIN>.<environment domain> (needs --port); "" for the apex domain',
      })
      .option('replicas', {
        type: 'string',
        describe: 'Replica count (0 or more)',
        defaultDescription: "the environment's defaults.replicas, else 1",
      })
      .option('env', {
        type: 'string',
        describe: 'A plain environment variable KEY=VALUE; repeat for more. Never a secret: use --secret-env',
      })
      .option('secret-env', {
        type: 'string',
        describe: 'A variable from a Kubernetes Secret, VAR=<secret>/<key>; repeat for more',
      })
      .option('volume', {
        type: 'string',
        describe:
          'A persistent volume the service owns, <name>:<mount path>:<size> (ReadWriteOnce), e.g. ' +
          'data:/var/lib/data:10Gi; repeat for more',
      })
      .option('run-as-user', {
        type: 'string',
        describe:
          "The uid the container runs as (never 0). Needed unless the image's Dockerfile sets a numeric " +
          'non-root USER: Kubernetes refuses to start a non-root pod whose user it cannot verify',
        defaultDescription: "the image's user for known official images (redis, postgres, ...), else the image's",
      })
      .option('run-as-group', {
        type: 'string',
        describe: 'The gid the container runs as',
        defaultDescription: "the image user's group for known official images",
      })
      .option('fs-group', {
        type: 'string',
        describe: "The group that owns the service's volumes",
        defaultDescription: 'the run-as group, when the service has volumes',
      })
      .epilogue(
        'The new file starts with a yaml-language-server comment pointing at schemas/service.schema.json, ' +
          `so editors complete and check it; the project's schemas/ is written when missing. ` +
          'The spec is validated like every spec (gitops-synth validate) as part of the render. ' +
          'Everything else a spec can say (autoscaling, probes, files, dependsOn, per-environment overrides) ' +
          `is added by editing the file. ${APP_EXIT_STATUS}`,
      ),
  handler: async (args: AddArgs) => {
    const result = await withProgress(args.progress, (p) =>
      addService(
        args.project,
        {
          name: args.name,
          image: args.image,
          port: args.port,
          expose: args.expose,
          replicas: args.replicas,
          env: repeated(args.env),
          secretEnv: repeated(args.secretEnv),
          volume: repeated(args.volume),
          runAsUser: args.runAsUser,
          runAsGroup: args.runAsGroup,
          fsGroup: args.fsGroup,
        },
        { onPhase: p.phases() },
      ),
    );
    for (const note of result.notes)
      process.stderr.write(`gitops-synth: ${note.warning ? 'warning' : 'note'}: ${note.text}\n`);
    process.stdout.write(
      `gitops-synth: added ${result.file}${result.wroteSchemas ? ' (and schemas/ for editor completion)' : ''}\n`,
    );
    process.stdout.write(renderedLine(result.synth));
  },
};
