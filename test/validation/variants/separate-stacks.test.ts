import { readFileSync } from 'fs';
import { Stack } from 'aws-cdk-lib';
import { InspectedApplication, InspectionVpc } from '../../../lib/patterns';
import { ACCOUNT, AZ_CONTEXT, cfnLint, checkedPaths, REGION, synthVariant, SynthesizedVariant } from './support';

const STRENGTHS = ['weak', 'strong'] as const;
const env = { account: ACCOUNT, region: REGION };

describe('variant: security and application in separate stacks', () => {
  const variants = new Map<string, SynthesizedVariant>();
  beforeAll(() => {
    for (const strength of STRENGTHS) {
      variants.set(strength, synthVariant((app) => {
        const security = new Stack(app, 'Security', { env });
        const inspection = new InspectionVpc(security, 'Inspection');
        const application = new Stack(app, 'Application', { env });
        new InspectedApplication(application, 'Application', { inspectionService: inspection });
      }, { ...AZ_CONTEXT, '@aws-cdk/core:defaultCrossStackReferences': strength }));
    }
  });
  afterAll(() => variants.forEach((v) => v.dispose()));

  const applicationTemplate = (v: SynthesizedVariant) => readFileSync(v.assembly.getStackByName('Application').templateFullPath, 'utf8');

  test('weak references read the service through Fn::GetStackOutput, strong ones through Fn::ImportValue', () => {
    expect(applicationTemplate(variants.get('weak')!)).toContain('"Fn::GetStackOutput"');
    expect(applicationTemplate(variants.get('weak')!)).not.toContain('Fn::ImportValue');
    expect(applicationTemplate(variants.get('strong')!)).toContain('"Fn::ImportValue"');
    expect(applicationTemplate(variants.get('strong')!)).not.toContain('Fn::GetStackOutput');
  });

  test.each(STRENGTHS)('%s references: cdk-nag and the validator (which follows the reference) report nothing', (strength) => {
    const variant = variants.get(strength)!;
    expect(variant.violations).toEqual([]);
    expect(variant.findings).toEqual([]);
    expect(checkedPaths(variant.templates)).toEqual({ inspectedSubnets: 2, ingressEndpoints: 2, endpointsWithKnownService: 2 });
  });

  test('cfn-lint reports nothing (literal zone names are expected in env-aware stacks)', () => {
    expect(cfnLint([...variants.values()].flatMap((v) => v.templates), { envAware: true })).toBe('');
  });
});
