/** Where generated workflows go, relative to the project. */
export const WORKFLOWS_DIR = '.github/workflows';
/** The reusable image build workflow `gitops-synth workflows` writes. */
export const BUILD_IMAGE_WORKFLOW = 'build-image.yml';
