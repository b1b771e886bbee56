import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { App, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { AgentAsset } from '../../lib/patterns';
import { AGENT_BUNDLE_FILE_NAME, prebuiltAgentPath } from '../../lib/patterns/agent-asset';
import { ELF_MACHINES, embeddedAddonMachines } from '../agent/runtime/embedded-addons';

const ROOT = path.join(__dirname, '..', '..');

describe('AgentAsset', () => {
  test('stages the prebuilt dist/agent/gwlb-agent.js as is: one .js file, no bundling, no Docker', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'gwlb-asset-'));
    const docker = process.env.CDK_DOCKER;
    process.env.CDK_DOCKER = '/nonexistent/docker'; // any Docker use would fail
    try {
      const app = new App({ outdir });
      const stack = new Stack(app, 'Stack');
      const asset = new AgentAsset(stack, 'Agent');
      new CfnWaitConditionHandle(stack, 'Placeholder'); // a template needs one resource
      const assembly = app.synth();
      expect(asset.s3ObjectKey).toMatch(/^[0-9a-f]{64}\.js$/);
      expect(asset.isFile).toBe(true);
      const staged = readdirSync(assembly.directory).filter((f) => f.startsWith('asset.') && f.endsWith('.js'));
      expect(staged).toHaveLength(1);
      const prebuilt = readFileSync(path.join(ROOT, 'dist', 'agent', AGENT_BUNDLE_FILE_NAME));
      const stagedBytes = readFileSync(path.join(assembly.directory, staged[0]));
      expect(stagedBytes.equals(prebuilt)).toBe(true);
      // The appliances get the native batch I/O addons of both architectures inside that one file.
      expect(embeddedAddonMachines(stagedBytes.toString('utf8'))).toEqual(ELF_MACHINES);
      const manifest = JSON.parse(readFileSync(path.join(assembly.directory, 'Stack.assets.json'), 'utf8'));
      const files = (Object.values(manifest.files) as Array<{ source: { path: string; packaging: string } }>)
        .filter((f) => f.source.path.endsWith('.js'));
      expect(files.map((f) => f.source.packaging)).toEqual(['file']);
    } finally {
      if (docker === undefined) delete process.env.CDK_DOCKER; else process.env.CDK_DOCKER = docker;
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('fails naming the paths it looked at when the package was not built', () => {
    const missing = path.join(tmpdir(), 'gwlb-no-such-dir', AGENT_BUNDLE_FILE_NAME);
    expect(() => prebuiltAgentPath([missing])).toThrow(`the prebuilt agent gwlb-agent.js is missing (looked at ${missing}): build the package first (npm run build)`);
  });

  test('finds the bundle of this checkout (dist/agent) from the sources', () => {
    expect(prebuiltAgentPath()).toBe(path.join(ROOT, 'dist', 'agent', AGENT_BUNDLE_FILE_NAME));
  });
});
