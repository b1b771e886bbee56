import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { Annotations, BundlingOutput, DockerImage } from 'aws-cdk-lib';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import * as esbuild from 'esbuild';
import { Construct } from 'constructs';

/** The file name of the bundled agent inside the asset. */
export const AGENT_BUNDLE_FILE_NAME = 'gwlb-agent.js';

/** The agent sources: `lib/agent` (TypeScript) or, when running from the compiled package, `dist/lib/agent`. */
const AGENT_SOURCE_DIR = path.join(__dirname, '..', 'agent');

/** Architectures the agent's native batch I/O addon is prebuilt for (scripts/build-batchio.js). */
const BATCHIO_ARCHES = ['x64', 'arm64'];

/**
 * Where the prebuilt addons are: dist/agent/native of the package, seen from lib/patterns (the
 * sources, in a checkout) or from dist/lib/patterns (the compiled package).
 */
const BATCHIO_DIRS = [
  path.join(__dirname, '..', '..', 'dist', 'agent', 'native'),
  path.join(__dirname, '..', '..', 'agent', 'native'),
];

/**
 * The prebuilt native batch I/O addons (base64, by architecture) that are present; the agent
 * loads the one for its architecture and otherwise runs its JavaScript datagram path.
 */
function prebuiltBatchIo(dirs: readonly string[] = BATCHIO_DIRS): Record<string, string> {
  const found: Record<string, string> = {};
  for (const arch of BATCHIO_ARCHES) {
    const file = dirs.map((d) => path.join(d, `batchio-linux-${arch}.node`)).find((f) => existsSync(f));
    if (file !== undefined) found[arch] = readFileSync(file).toString('base64');
  }
  return found;
}

/**
 * Only used if local bundling were unavailable; local bundling with esbuild (a dependency of this
 * package) always succeeds or fails with an error, so Docker never runs.
 */
const FALLBACK_IMAGE = DockerImage.fromRegistry('public.ecr.aws/docker/library/node:20');

/**
 * Bundle the agent into one self-contained CommonJS file for Node.js 18 or later, with a
 * `#!/usr/bin/env node` line so it can be run as a command. The prebuilt native batch I/O addons
 * found (x86_64 and arm64) are embedded in it.
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
    define: { GWLB_AGENT_BATCHIO_PREBUILT: JSON.stringify(prebuiltBatchIo()) },
  });
}

/**
 * The appliance agent as an S3 asset: one JavaScript file (`gwlb-agent.js`) bundled locally with
 * esbuild at synth time, with the prebuilt native batch I/O addons embedded (a warning names any
 * architecture whose addon is missing: its appliances run the slower JavaScript datagram path).
 * The object key ends in `.js`.
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
    const missing = BATCHIO_ARCHES.filter((a) => prebuiltBatchIo()[a] === undefined);
    if (missing.length > 0) {
      Annotations.of(this).addWarningV2('@cdk-gwlb-inspection/agent-batchio-missing',
        `the agent bundle has no native batch I/O addon for ${missing.join(', ')} (run npm run build:batchio): `
        + 'appliances of that architecture use the slower JavaScript datagram path');
    }
  }
}
