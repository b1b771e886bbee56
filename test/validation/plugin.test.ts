import { IPolicyValidationPluginBeta1, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as fs from 'fs';
import * as path from 'path';
import { GwlbPathValidator, RuleId, UnresolvedRuleId } from '../../lib/validation';
import { ArchitectureOptions, buildArchitecture } from './fixture';

function appWithPlugin(options: ArchitectureOptions) {
  const architecture = buildArchitecture(options);
  Validations.of(architecture.app).addPlugins(new GwlbPathValidator());
  return architecture;
}

function synthError(synth: () => unknown): string {
  try {
    synth();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected synth to fail');
}

describe('GwlbPathValidator through Validations.of(app).addPlugins', () => {
  let consoleError: jest.SpyInstance;
  beforeEach(() => {
    consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => consoleError.mockRestore());

  test('fails synth on crossed AZs with rule id, construct path, AZ, involved resources and fix in the report', () => {
    const { app } = appWithPlugin({ crossAz: 0 });
    const message = synthError(() => app.synth());
    expect(message).toContain(`ERROR ${RuleId.EDGE_ROUTE_SAME_AZ}: [GetAZs[0]]`);
    expect(message).toContain('AppStack/AlbSubnet0 (AlbSubnet0)');
    expect(message).toContain('AppStack/EdgeRoute0 (EdgeRoute0) aws-cdk-lib.aws_ec2.CfnRoute');
    expect(message).toContain('AppStack/GwlbEndpoint1 (GwlbEndpoint1)');
    expect(message).toContain('Suggested fix: Route 10.0.10.0/24 to the GWLB endpoint in GetAZs[0]');
    expect(message).toContain(`Acknowledge with 'GwlbPathValidator::${RuleId.EDGE_ROUTE_SAME_AZ}'`);
    expect(message).not.toContain('GWLB-R2');
  });

  test('fails synth for a broken nested stack and names the nested construct', () => {
    const { app } = appWithPlugin({ nestedSecurity: true, gwlbInNlbField: true });
    const message = synthError(() => app.synth());
    expect(message).toContain(RuleId.SERVICE_GWLB_ARNS);
    expect(message).toContain('AppStack/Security/EndpointService');
  });

  test('fails synth for stacks inside a Stage when the plugin is on the App', () => {
    const { app } = appWithPlugin({ inStage: true, separateStacks: true, applianceAzs: [0], crossZone: true });
    expect(synthError(() => app.synth())).toContain(RuleId.APPLIANCE_MULTI_AZ);
  });

  test('synthesizes a correct architecture without a report', () => {
    const { app } = appWithPlugin({ separateStacks: true, azCount: 3 });
    const assembly = app.synth();
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['AppStack', 'SecurityStack']);
    expect(consoleError.mock.calls.flat().join('\n')).not.toContain('GwlbPathValidator');
  });

  test('warnings only: synth succeeds and the report file records the warning', () => {
    const { app } = appWithPlugin({ externalServiceName: 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0' });
    const assembly = app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf-8'));
    const ours = report.pluginReports.find((r: { pluginName: string }) => r.pluginName === 'GwlbPathValidator');
    expect(ours.conclusion).toBe('success');
    expect(ours.violations.map((v: { ruleName: string; severity: string }) => `${v.severity} ${v.ruleName}`)).toEqual([`warning ${UnresolvedRuleId.R4}`]);
    expect(ours.violations[0].violatingConstructs[0].constructPath).toBe('AppStack/GwlbEndpoint0');
    expect(consoleError.mock.calls.flat().join('\n')).toContain(UnresolvedRuleId.R4);
  });

  test('an acknowledged finding no longer fails synth', () => {
    const { app, appStack } = appWithPlugin({ crossAz: 0 });
    Validations.of(appStack.node.findChild('EdgeRoute0')).acknowledge({
      id: `GwlbPathValidator::${RuleId.EDGE_ROUTE_SAME_AZ}`,
      reason: 'AZ 0 is being drained; its ALB node uses the AZ 1 endpoint until the migration ends',
    });
    expect(() => app.synth()).not.toThrow();
  });

  test('runs beside cdk-nag 3: both reports are in the failure', () => {
    const { app } = buildArchitecture({ publicAppAz: 0 });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new GwlbPathValidator());
    const message = synthError(() => app.synth());
    expect(message).toContain(RuleId.APP_TARGETS_PRIVATE);
    expect(message).toMatch(/AwsSolutions-/);
  });
});

describe('GwlbPathValidator as a Beta1 plugin', () => {
  test('declares its rule ids and validates from template paths alone', () => {
    const { app } = buildArchitecture({ separateStacks: true, endpointLoopAz: 1 });
    const assembly = app.synth();
    const plugin: IPolicyValidationPluginBeta1 = new GwlbPathValidator();
    expect(plugin.ruleIds).toEqual(expect.arrayContaining([...Object.values(RuleId), ...Object.values(UnresolvedRuleId)]));
    const report = plugin.validate({ templatePaths: assembly.stacks.map((s) => s.templateFullPath), appConstruct: app });
    expect(report.success).toBe(false);
    expect(report.violations).toHaveLength(1);
    const [violation] = report.violations;
    expect(violation).toMatchObject({ ruleName: RuleId.ENDPOINT_SUBNET_EGRESS, severity: 'error', ruleMetadata: { availabilityZone: 'GetAZs[1]' } });
    expect(violation.violatingResources).toEqual([{
      resourceLogicalId: 'EndpointDefaultRoute1',
      templatePath: assembly.getStackByName('AppStack').templateFullPath,
      locations: ['Properties/VpcEndpointId'],
    }]);
    expect(violation.description).toContain('AppStack/EndpointRouteTable1');
  });

  test('reports success with no violation for a correct app', () => {
    const { app } = buildArchitecture({ nestedSecurity: true });
    const assembly = app.synth();
    const report = new GwlbPathValidator().validate({ templatePaths: assembly.stacks.map((s) => s.templateFullPath), appConstruct: app });
    expect(report).toMatchObject({ success: true, violations: [], metadata: { errors: '0', warnings: '0' } });
  });
});
