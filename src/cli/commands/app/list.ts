import type { CommandModule } from 'yargs';
import { formatListing, listServices } from '../../../lifecycle/service-list.js';
import type { GlobalOptions } from '../../main.js';
import { refusalsAsUsageErrors } from './shared.js';

interface ListArgs extends GlobalOptions {
  env?: string;
  json: boolean;
  cacheDir?: string;
}

export const listCommand: CommandModule<GlobalOptions, ListArgs> = {
  command: 'list',
  describe:
    'Show every service per environment: image and the tag that runs, replicas or autoscaling range, public URL, volumes, suspended',
  builder: (y) =>
    y
      .option('env', { type: 'string', describe: 'Only this environment' })
      .option('json', { type: 'boolean', default: false, describe: 'Print JSON (for scripts) instead of the table' })
      .option('cache-dir', {
        type: 'string',
        describe: 'Where a remote devops repository is cloned to read written-back tags',
        defaultDescription: '$XDG_CACHE_HOME/gitops-synth/devops or ~/.cache/gitops-synth/devops',
      })
      .example('$0 app list', 'the table')
      .example('$0 app list --env prod --json', 'what runs in prod, as JSON')
      .epilogue(
        'The tag shown is the one Image Updater last wrote back (.argocd-source-<service>-<env>.yaml in the devops repository, with the time of that commit) or else the pinned tag of the spec. When settings.repository.url is unset or names this repository, the rendered tree of this working tree is read (times from git log); a local path is read in place; any other URL is fetched into the cache folder with the same credentials as publish. When the devops repository cannot be read, the pinned tags are shown with a warning.',
      ),
  handler: refusalsAsUsageErrors(async (args: ListArgs) => {
    const listing = await listServices(args.project, { environment: args.env, cacheDir: args.cacheDir });
    process.stdout.write(args.json ? `${JSON.stringify(listing, null, 2)}\n` : formatListing(listing));
    if (args.json && listing.devopsRepository.error)
      process.stderr.write(
        `gitops-synth: warning: written-back tags unknown (showing the pinned ones): ${listing.devopsRepository.error}\n`,
      );
  }),
};
