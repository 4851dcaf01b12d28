/** Where a project keeps its specs: names every part of gitops-synth agrees on (and cheap to import). */

/** The folder of the service specs, `apps/<service>.yaml`. */
export const APPS_DIR = 'apps';
/** The folder of the environment specs and the settings, `environments/<env>.yaml`. */
export const ENVIRONMENTS_DIR = 'environments';

/**
 * Folders gitops-synth writes at the top of the output beside the
 * environments' folders (`dist/<env>/`), which an environment therefore
 * cannot be named. pipeline/ checks every run that no renderer writes
 * another one (a test keeps this list complete).
 */
export const OUTPUT_FOLDERS: readonly string[] = ['argocd', 'bootstrap'];
