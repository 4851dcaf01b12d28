import type { CommandModule } from 'yargs';
import { formatListing, listServices } from '../../../lifecycle/service-list.js';
import { examples, exitStatus } from '../../help.js';
import { jsonOption, writeJson } from '../../json.js';
import type { GlobalOptions } from '../../main.js';

interface ListArgs extends GlobalOptions {
  env?: string;
  json: boolean;
  cacheDir?: string;
}

export const listCommand: CommandModule<GlobalOptions, ListArgs> = {
  command: 'list',
  describe:
    'Show every service per environment: image and the tag that runs, replicas or autoscaling range, ' +
    'public URL, volumes, suspended',
  builder: (y) =>
    examples(
      jsonOption(
        y.option('env', { type: 'string', describe: 'Only this environment' }).option('cache-dir', {
          type: 'string',
          describe: 'Where a remote devops repository is cloned to read written-back tags',
          defaultDescription: '$XDG_CACHE_HOME/gitops-synth/devops or ~/.cache/gitops-synth/devops',
        }),
        'the listing instead of the table',
      ),
      [
        ['$0 app list', 'the table'],
        ['$0 app list --env prod --json', 'what runs in prod, as JSON'],
      ],
    ).epilogue(
      'The tag shown is the one Image Updater last wrote back (.argocd-source-<service>-<env>.yaml in the ' +
        'devops repository, with the time of that commit) or else the pinned tag of the spec. ' +
        'When settings.repository.url is unset or names this repository, ' +
        'the rendered tree of this working tree is read (times from git log); a local path is read in place; ' +
        'any other URL is fetched into the cache folder with the same credentials as publish. ' +
        'When the devops repository cannot be read, the pinned tags are shown with a warning. ' +
        exitStatus({
          0: 'listed (a devops repository that cannot be read is a warning)',
          1: 'spec problems (each with file, line and field) or an unknown --env',
        }),
    ),
  handler: async (args: ListArgs) => {
    const listing = await listServices(args.project, { environment: args.env, cacheDir: args.cacheDir });
    if (args.json) writeJson('app list', { ...listing });
    else process.stdout.write(formatListing(listing));
    if (args.json && listing.devopsRepository.error)
      process.stderr.write(
        'gitops-synth: warning: written-back tags unknown (showing the pinned ones): ' +
          `${listing.devopsRepository.error}\n`,
      );
  },
};
