import { existsSync } from 'fs';
import * as path from 'path';
import { BundlingOutput, DockerImage } from 'aws-cdk-lib';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import * as esbuild from 'esbuild';
import { Construct } from 'constructs';

/** The file name of the bundled agent inside the asset. */
export const AGENT_BUNDLE_FILE_NAME = 'gwlb-agent.js';

/** The agent sources: `lib/agent` (TypeScript) or, when running from the compiled package, `dist/lib/agent`. */
const AGENT_SOURCE_DIR = path.join(__dirname, '..', 'agent');

/**
 * Only used if local bundling were unavailable; local bundling with esbuild (a dependency of this
 * package) always succeeds or fails with an error, so Docker never runs.
 */
const FALLBACK_IMAGE = DockerImage.fromRegistry('public.ecr.aws/docker/library/node:20');

/**
 * Bundle the agent into one self-contained CommonJS file for Node.js 18 or later, with a
 * `#!/usr/bin/env node` line so it can be run as a command.
 */
export function bundleAgent(outfile: string, sourceDir: string = AGENT_SOURCE_DIR): void {
  const entry = ['main.ts', 'main.js'].map((f) => path.join(sourceDir, f)).find((f) => existsSync(f));
  if (entry === undefined) {
    throw new Error(`AgentAsset: the agent entry point (main.ts or main.js) is missing from ${sourceDir}`);
  }
  esbuild.buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    banner: { js: '#!/usr/bin/env node' },
    legalComments: 'none',
    logLevel: 'silent',
  });
}

/**
 * The appliance agent as an S3 asset: one JavaScript file (`gwlb-agent.js`) bundled locally with
 * esbuild at synth time. The object key ends in `.js`.
 */
export class AgentAsset extends s3_assets.Asset {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      path: AGENT_SOURCE_DIR,
      exclude: ['*.d.ts', '*.map'],
      bundling: {
        image: FALLBACK_IMAGE,
        outputType: BundlingOutput.SINGLE_FILE,
        local: {
          tryBundle(outputDir: string): boolean {
            bundleAgent(path.join(outputDir, AGENT_BUNDLE_FILE_NAME));
            return true;
          },
        },
      },
    });
  }
}
