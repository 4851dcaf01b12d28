#!/usr/bin/env node
// The `app:` of cdk8s.yaml. The cdk8s CLI sets CDK8S_OUTDIR; the project is the current folder.
import { ensureBuild } from './ensure-build.js';

ensureBuild();
const { main } = await import('../build/src/cli/main.js');
const outDir = process.env.CDK8S_OUTDIR ?? 'dist';
process.exitCode = await main(['synth', '--project', '.', '--out', outDir]);
