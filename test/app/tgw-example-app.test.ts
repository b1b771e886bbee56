import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { createTgwExampleApp, TgwExampleApp } from '../../bin/tgw-example-stacks';
import { validateTemplateFiles } from '../../lib/validation';
import { tgwCoverage } from '../validation/tgw/support';

const CDK_JSON = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'));

interface Synthesized {
  readonly stacks: TgwExampleApp;
  readonly assembly: CloudAssembly;
  readonly outdir: string;
}

function synthExample(extend?: (stacks: TgwExampleApp) => void): Synthesized {
  const saved = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  delete process.env.CDK_DEFAULT_ACCOUNT;
  delete process.env.CDK_DEFAULT_REGION;
  try {
    const outdir = mkdtempSync(path.join(tmpdir(), 'gwlb-tgw-example-'));
    const app = new App({ outdir, context: CDK_JSON.context });
    const stacks = createTgwExampleApp(app);
    extend?.(stacks);
    return { stacks, assembly: app.synth(), outdir };
  } finally {
    if (saved.account !== undefined) process.env.CDK_DEFAULT_ACCOUNT = saved.account;
    if (saved.region !== undefined) process.env.CDK_DEFAULT_REGION = saved.region;
  }
}

function template(s: Synthesized, stack: Stack): any {
  return JSON.parse(readFileSync(path.join(s.assembly.directory, stack.templateFile), 'utf8'));
}

function normalized(t: unknown): unknown {
  return JSON.parse(JSON.stringify(t).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
}

describe('centralized inspection example app (bin/tgw-app.ts)', () => {
  let s: Synthesized;
  beforeAll(() => { s = synthExample(); });
  afterAll(() => rmSync(s.outdir, { recursive: true, force: true }));

  test('synthesizes the security, hub and two spoke stacks', () => {
    expect(s.assembly.stacks.map((st) => st.stackName).sort()).toEqual(['GwlbTgwHub', 'GwlbTgwSecurity', 'GwlbTgwSpokeA', 'GwlbTgwSpokeB']);
    expect(s.assembly.getStackByName('GwlbTgwSpokeA').dependencies.map((d) => d.id)).toContain('GwlbTgwHub');
  });

  test('cdk-nag and the path validator leave nothing unacknowledged', () => {
    const report = JSON.parse(readFileSync(path.join(s.assembly.directory, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: any) => r.violations)).toEqual([]);
  });

  test('the validator finds nothing and had the whole per-AZ path to check', () => {
    const files = s.assembly.stacks.map((st) => st.templateFullPath);
    expect(validateTemplateFiles(files)).toEqual([]);
    expect(tgwCoverage(files)).toEqual({ inspectionAttachments: 1, attachmentSubnets: 2, spokeAttachments: 2, knownSpokeCidrs: 2 });
  });

  test.each(['security', 'hub', 'spokeA', 'spokeB'])('%s stack snapshot', (name) => {
    const stack = name === 'security' ? s.stacks.security : name === 'hub' ? s.stacks.hub : s.stacks.spokes[name === 'spokeA' ? 0 : 1];
    expect(normalized(template(s, stack))).toMatchSnapshot();
  });

  test('cfn-lint reports nothing for any template', () => {
    const files = s.assembly.stacks.map((st) => st.templateFullPath);
    const result = spawnSync('cfn-lint', ['--format', 'parseable', '--', ...files], { encoding: 'utf8' });
    if (result.error) {
      throw new Error(`cfn-lint could not be run (install it with: pip install cfn-lint): ${result.error.message}`);
    }
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  test('fails synthesis when a spoke gets a route around the Transit Gateway', () => {
    expect(() => synthExample(({ spokes }) => {
      const subnet = spokes[0].spoke.routedSubnets[0];
      new ec2.CfnRoute(spokes[0], 'Shortcut', { routeTableId: subnet.routeTable.routeTableId, destinationCidrBlock: '10.2.0.0/16', vpcPeeringConnectionId: 'pcx-0123456789abcdef0' });
    })).toThrow(/GwlbTgwSpokeA\/Shortcut: route 10.2.0.0\/16 .* skips inspection/);
  });
});
