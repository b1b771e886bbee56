import { existsSync } from 'fs';
import * as path from 'path';
import * as s3_assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';

/** The file name of the prebuilt agent inside the package and in the asset. */
export const AGENT_BUNDLE_FILE_NAME = 'gwlb-agent.js';

/**
 * Where the prebuilt agent may be, first match wins: `dist/agent` next to `dist/lib` in the
 * package (this file compiled to `dist/lib/patterns`), or `dist/agent` of a checkout (this file
 * run from `lib/patterns` by ts-node or ts-jest). The build (`npm run build`) writes it with
 * esbuild; synthesis only copies it, so it needs no bundler and works on any OS and CPU.
 */
const CANDIDATES = [
  path.join(__dirname, '..', '..', 'agent', AGENT_BUNDLE_FILE_NAME),
  path.join(__dirname, '..', '..', 'dist', 'agent', AGENT_BUNDLE_FILE_NAME),
];

/** The prebuilt agent file; fails naming the paths tried when the package was not built. */
export function prebuiltAgentPath(candidates: string[] = CANDIDATES): string {
  const found = candidates.find((f) => existsSync(f));
  if (found === undefined) {
    throw new Error(`AgentAsset: the prebuilt agent ${AGENT_BUNDLE_FILE_NAME} is missing (looked at ${candidates.join(', ')}): `
      + 'build the package first (npm run build)');
  }
  return found;
}

/**
 * The appliance agent as an S3 asset: the one JavaScript file (`gwlb-agent.js`) that the
 * package ships prebuilt, uploaded as is. The object key ends in `.js`.
 */
export class AgentAsset extends s3_assets.Asset {
  constructor(scope: Construct, id: string) {
    super(scope, id, { path: prebuiltAgentPath() });
  }
}
