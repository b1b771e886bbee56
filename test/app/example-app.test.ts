import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { createExampleApp, ExampleApp } from '../../bin/example-stacks';
import { checkPerZonePaths } from '../patterns/support/routing-paths';

const CDK_JSON = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'));

interface Synthesized {
  readonly app: App;
  readonly stacks: ExampleApp;
  readonly assembly: CloudAssembly;
  readonly outdir: string;
}

/** Build and synthesize the example app as `cdk synth` would (cdk.json context), without the CLI's environment. */
function synthExample(context: Record<string, string> = {}, extend?: (stacks: ExampleApp) => void): Synthesized {
  const saved = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  delete process.env.CDK_DEFAULT_ACCOUNT;
  delete process.env.CDK_DEFAULT_REGION;
  try {
    const outdir = mkdtempSync(path.join(tmpdir(), 'gwlb-example-'));
    const app = new App({ outdir, context: { ...CDK_JSON.context, ...context } });
    const stacks = createExampleApp(app);
    extend?.(stacks);
    return { app, stacks, assembly: app.synth(), outdir };
  } finally {
    if (saved.account !== undefined) process.env.CDK_DEFAULT_ACCOUNT = saved.account;
    if (saved.region !== undefined) process.env.CDK_DEFAULT_REGION = saved.region;
  }
}

function template(s: Synthesized, stack: Stack): any {
  return JSON.parse(readFileSync(path.join(s.assembly.directory, stack.templateFile), 'utf8'));
}

/** Asset hashes change with every source change; keep the snapshots about structure. */
function normalized(t: unknown): unknown {
  return JSON.parse(JSON.stringify(t).replace(/[0-9a-f]{64}/g, '<asset-hash>'));
}

function validationViolations(s: Synthesized): unknown[] {
  const report = JSON.parse(readFileSync(path.join(s.assembly.directory, 'validation-report.json'), 'utf8'));
  return report.pluginReports.flatMap((r: any) => r.violations);
}

describe('example app (environment-agnostic)', () => {
  let s: Synthesized;
  beforeAll(() => { s = synthExample(); });
  afterAll(() => rmSync(s.outdir, { recursive: true, force: true }));

  test('synthesizes two environment-agnostic stacks', () => {
    expect(s.assembly.stacks.map((st) => st.stackName).sort()).toEqual(['GwlbInspectionApplication', 'GwlbInspectionSecurity']);
    for (const st of s.assembly.stacks) {
      expect(st.environment).toMatchObject({ account: 'unknown-account', region: 'unknown-region' });
    }
  });

  test('cdk-nag AWS Solutions finds nothing unacknowledged (errors and warnings)', () => {
    expect(validationViolations(s)).toEqual([]);
  });

  test('acknowledges exactly five findings, each on one resource with a reason', () => {
    const acknowledged = [...s.stacks.security.node.findAll(), ...s.stacks.application.node.findAll()].flatMap((c) =>
      c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.entries(m.data as Record<string, string>))
        .filter(([id]) => id.startsWith('AwsSolutions::'))
        .map(([id, reason]) => ({ path: c.node.path, id, reason })));
    expect([...new Set(acknowledged.map(({ path: p, id }) => `${p} ${id}`))].sort()).toEqual([
      'GwlbInspectionApplication/Application/AccessLogsBucket AwsSolutions::AwsSolutions-S1',
      'GwlbInspectionApplication/Application/LoadBalancerSecurityGroup AwsSolutions::AwsSolutions-EC23',
      'GwlbInspectionSecurity/Inspection/Appliances/Role AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      'GwlbInspectionSecurity/Inspection/Appliances/Role AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      'GwlbInspectionSecurity/Inspection/GatewayLoadBalancer/Resource AwsSolutions::AwsSolutions-ELB2',
    ]);
    expect(acknowledged.every((a) => a.reason.length > 60)).toBe(true);
  });

  test('the application stack reads the endpoint service from a security stack output', () => {
    // cdk.json follows the CLI's recommended flags, which make cross-stack references weak:
    // the consumer reads the producer's output with Fn::GetStackOutput instead of Fn::ImportValue.
    const security = template(s, s.stacks.security);
    const application = template(s, s.stacks.application);
    const outputs = Object.keys(security.Outputs ?? {});
    const endpoints = Object.values(application.Resources).filter((r: any) => r.Type === 'AWS::EC2::VPCEndpoint'
      && r.Properties.VpcEndpointType === 'GatewayLoadBalancer') as any[];
    expect(endpoints).toHaveLength(2);
    for (const endpoint of endpoints) {
      const refs: any[] = [];
      const walk = (v: any): void => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object') {
          if (v['Fn::GetStackOutput']) refs.push(v['Fn::GetStackOutput']);
          Object.values(v).forEach(walk);
        }
      };
      walk(endpoint.Properties.ServiceName);
      expect(refs).toHaveLength(1);
      expect(refs[0].StackName).toBe('GwlbInspectionSecurity');
      expect(outputs).toContain(refs[0].OutputName);
    }
    expect(s.assembly.getStackByName('GwlbInspectionApplication').dependencies.map((d) => d.id)).toContain('GwlbInspectionSecurity');
  });

  test('every zone of the application stack has a symmetric inspected path', () => {
    const paths = checkPerZonePaths(template(s, s.stacks.application));
    expect(paths).toHaveLength(2);
    expect(new Set(paths.map((p) => p.endpoint)).size).toBe(2);
  });

  test('the appliances read the example policy from its SSM parameter', () => {
    const parameters = Object.values(template(s, s.stacks.security).Resources as Record<string, any>)
      .filter((r) => r.Type === 'AWS::SSM::Parameter');
    expect(parameters).toHaveLength(1);
    expect(JSON.parse(parameters[0].Properties.Value).rules.map((r: { name: string }) => r.name)).toEqual(['no-telnet', 'no-smb']);
  });

  test('security stack snapshot', () => {
    expect(normalized(template(s, s.stacks.security))).toMatchSnapshot();
  });

  test('application stack snapshot', () => {
    expect(normalized(template(s, s.stacks.application))).toMatchSnapshot();
  });

  test('cfn-lint reports nothing for any synthesized template', () => {
    const files = s.assembly.stacks.map((st) => st.templateFullPath);
    const result = spawnSync('cfn-lint', ['--format', 'parseable', '--', ...files], { encoding: 'utf8' });
    if (result.error) {
      throw new Error(`cfn-lint could not be run (install it with: pip install cfn-lint): ${result.error.message}`);
    }
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('example app with an environment', () => {
  test('takes account and region from the context and still passes cdk-nag', () => {
    const s = synthExample({ account: '111122223333', region: 'eu-west-1' });
    try {
      for (const st of s.assembly.stacks) {
        expect(st.environment).toMatchObject({ account: '111122223333', region: 'eu-west-1' });
      }
      expect(validationViolations(s)).toEqual([]);
      const application = template(s, s.stacks.application);
      const policy = Object.values(application.Resources).find((r: any) => r.Type === 'AWS::S3::BucketPolicy') as any;
      expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('arn:aws:iam::156460612806:root'); // ELB account of eu-west-1
    } finally {
      rmSync(s.outdir, { recursive: true, force: true });
    }
  });

  test('fails synthesis on a new unacknowledged finding (cdk-nag is wired in)', () => {
    expect(() => synthExample({}, ({ application }) => {
      new s3.Bucket(application, 'Unlogged', { enforceSSL: true });
    })).toThrow(/AwsSolutions-S1/);
  });
});
