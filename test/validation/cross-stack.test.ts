import { readFileSync } from 'fs';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { GwlbPathValidator, loadTemplateFiles, UnresolvedRuleId, validateTemplateFiles } from '../../lib/validation';
import { ArchitectureOptions, buildArchitecture, testApp } from './fixture';
import { findingsOf, summary } from './helpers';

const WEAK = { '@aws-cdk/core:defaultCrossStackReferences': 'weak' };
const BOTH = { '@aws-cdk/core:defaultCrossStackReferences': 'both' };

function synth(options: ArchitectureOptions, context: Record<string, unknown>): CloudAssembly {
  return buildArchitecture({ separateStacks: true, ...options }, testApp(context)).app.synth();
}

function stacksOf(assembly: CloudAssembly) {
  return assembly.stacksRecursively;
}

function templateText(assembly: CloudAssembly, hierarchicalId: string): string {
  return readFileSync(stacksOf(assembly).find((s) => s.hierarchicalId === hierarchicalId)!.templateFullPath, 'utf8');
}

describe('weak cross-stack references (Fn::GetStackOutput)', () => {
  test('the weak app reads the service from a plain output, and the validator follows it', () => {
    const app = buildArchitecture({ separateStacks: true, azCount: 3 }, testApp(WEAK)).app;
    const findings = findingsOf(app);
    const assembly = app.synth();
    const consumer = templateText(assembly, 'AppStack');
    expect(consumer).toContain('"Fn::GetStackOutput"');
    expect(consumer).not.toContain('Fn::ImportValue');
    expect(templateText(assembly, 'SecurityStack')).not.toContain('"Export"');
    expect(findings).toEqual([]);
  });

  test('reference strength "both" (migration) also validates clean', () => {
    const assembly = synth({}, BOTH);
    expect(templateText(assembly, 'AppStack')).toContain('"Fn::GetStackOutput"');
    const findings = validateTemplateFiles(stacksOf(assembly).map((s) => s.templateFullPath));
    expect(findings).toEqual([]);
  });

  test('without the producer template the consumer gets one R4 warning naming the stack it reads', () => {
    const assembly = synth({}, WEAK);
    const app = stacksOf(assembly).find((s) => s.hierarchicalId === 'AppStack')!;
    const findings = validateTemplateFiles([app.templateFullPath]);
    expect(summary(findings)).toEqual([`warning ${UnresolvedRuleId.R4} -`]);
    expect(findings[0].message).toMatch(/Fn::GetStackOutput names stack 'SecurityStack', which is not a stack of this app/);
  });

  test('template files get the construct path, deployed stack name, account and region from the cloud assembly manifest', () => {
    const assembly = synth({ inStage: true, literalAzs: true }, WEAK);
    const inputs = loadTemplateFiles(stacksOf(assembly).map((s) => ({ templatePath: s.templateFullPath })));
    expect(inputs.map((i) => [i.stackName, i.cloudFormationStackName, i.account, i.region]).sort()).toEqual([
      ['Prod/AppStack', 'Prod-AppStack', '111111111111', 'eu-west-1'],
      ['Prod/SecurityStack', 'Prod-SecurityStack', '111111111111', 'eu-west-1'],
    ]);
    expect(JSON.parse(templateText(assembly, 'Prod/AppStack')).Resources.GwlbEndpoint0.Properties.ServiceName).toMatchObject({
      'Fn::Join': ['', expect.arrayContaining([{ 'Fn::GetStackOutput': expect.objectContaining({ StackName: 'Prod-SecurityStack' }) }])],
    });
    expect(validateTemplateFiles(stacksOf(assembly).map((s) => s.templateFullPath))).toEqual([]);
  });

  test('the plugin resolves weak references of stacks in a Stage (stack name differs from construct path)', () => {
    const built = buildArchitecture({ separateStacks: true, inStage: true }, testApp(WEAK));
    const assembly = built.app.synth();
    const stackTemplates = stacksOf(assembly).map((s) => ({
      stackConstructPath: s.hierarchicalId, templatePath: s.templateFullPath, accountId: undefined, region: undefined,
    }));
    const report = new GwlbPathValidator().validate({ templatePaths: stackTemplates.map((s) => s.templatePath), stackTemplates, appConstruct: built.app } as never);
    expect(report).toMatchObject({ success: true, violations: [], metadata: { errors: '0', warnings: '0' } });
  });
});
