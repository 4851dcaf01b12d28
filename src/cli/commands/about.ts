/**
 * What each command is, for the command list of `--help` and for suggestions:
 * kept apart from the command modules so that a run loads only the modules of
 * the command it runs (main.ts, index.ts).
 */
import { BUILD_IMAGE_WORKFLOW, WORKFLOWS_DIR } from '../../publish/workflow-names.js';

export const ABOUT = {
  synth: {
    command: 'synth',
    describe:
      'Render apps/ × environments/ into dist/ (dist/<env>/<service>/, the Argo CD objects in dist/argocd/, ' +
      'the cluster bootstrap in dist/bootstrap/), validate what changed, and write only that, kill-safe',
  },
  validate: {
    command: 'validate',
    describe:
      'Check the specs and everything synth would write (schemas, kubectl kustomize) without writing anything, ' +
      'and say whether dist/ is current',
  },
  bootstrap: {
    command: 'bootstrap',
    describe:
      'Write only dist/bootstrap/ (synth writes it too): an idempotent script that installs the pinned Argo CD ' +
      'and Image Updater, creates the namespaces and every missing secret (random values, never printed), ' +
      'registers the devops repository and applies the root Application, on the cluster kubectl points at',
  },
  diff: {
    command: 'diff',
    describe:
      'Compare what the specs render now with what the devops repository holds: per environment and service, ' +
      'the objects added, removed and changed, with a unified diff of each change',
  },
  publish: {
    command: 'publish',
    describe:
      'Render and check the project like synth (writing nothing to dist/), ' +
      'then commit the result to the devops repository from the settings and push it',
  },
  workflows: {
    command: 'workflows',
    describe:
      `Write ${WORKFLOWS_DIR}/${BUILD_IMAGE_WORKFLOW}, the reusable image build of the service repositories, ` +
      `with the tag formats of imageTags in the settings (the ones the environments' allowTags derive from)`,
  },
  app: {
    command: 'app',
    describe:
      'Manage services: add, list, suspend, resume, pin, unpin, remove (each edits apps/ keeping comments and ' +
      'layout, then renders; on any error nothing changes)',
  },
} as const;
