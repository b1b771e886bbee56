import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { App, CfnWaitConditionHandle, Stack } from 'aws-cdk-lib';
import { AGENT_BUNDLE_FILE_NAME, AgentAsset, bundleAgent } from '../../lib/patterns';
import { ELF_MACHINES, embeddedAddonMachines } from '../agent/runtime/embedded-addons';

describe('agent bundle', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'gwlb-bundle-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('is one self-contained executable script that runs outside the repository', () => {
    const outfile = path.join(dir, 'gwlb-agent.js');
    bundleAgent(outfile);
    const text = readFileSync(outfile, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(text).not.toMatch(/require\(["']\.{1,2}\//); // no relative requires left
    const result = spawnSync(process.execPath, [outfile, '--help'], { cwd: dir, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: gwlb-agent');
    expect(result.stdout).toContain('--drain-seconds');
    // The prebuilt native batch I/O addons of both appliance architectures (npm run build:batchio).
    expect(embeddedAddonMachines(text)).toEqual(ELF_MACHINES);
  });

  test('fails naming the directory when the entry point is missing', () => {
    expect(() => bundleAgent(path.join(dir, 'out.js'), dir)).toThrow(/entry point \(main\.ts or main\.js\) is missing from/);
  });
});

describe('AgentAsset', () => {
  test('stages a single .js file built locally, without Docker', () => {
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
      expect(readFileSync(path.join(assembly.directory, staged[0]), 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
      const manifest = JSON.parse(readFileSync(path.join(assembly.directory, 'Stack.assets.json'), 'utf8'));
      const files = (Object.values(manifest.files) as Array<{ source: { path: string; packaging: string } }>)
        .filter((f) => f.source.path.endsWith('.js'));
      expect(files.map((f) => f.source.packaging)).toEqual(['file']);
      expect(existsSync(path.join(assembly.directory, files[0].source.path))).toBe(true);
      expect(AGENT_BUNDLE_FILE_NAME).toBe('gwlb-agent.js');
    } finally {
      if (docker === undefined) delete process.env.CDK_DOCKER; else process.env.CDK_DOCKER = docker;
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
