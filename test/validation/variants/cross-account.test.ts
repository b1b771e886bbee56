import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { GatewayLoadBalancerEndpointService } from '../../../lib/gwlb';
import { InspectedApplication, InspectionVpc } from '../../../lib/patterns';
import { UnresolvedRuleId } from '../../../lib/validation';
import { ACCOUNT, AZ_CONTEXT, cfnLint, CONSUMER_ACCOUNT, REGION, ruleSummary, synthVariant, SynthesizedVariant } from './support';

const SERVICE_NAME = `com.amazonaws.vpce.${REGION}.vpce-svc-0123456789abcdef0`;

describe('variant: the application in another account, consuming the service by name', () => {
  let variant: SynthesizedVariant;
  let consoleError: jest.SpyInstance;
  beforeAll(() => {
    consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined); // the warning report
    variant = synthVariant((app) => {
      const provider = new Stack(app, 'Provider', { env: { account: ACCOUNT, region: REGION } });
      new InspectionVpc(provider, 'Inspection', { allowedPrincipals: [new iam.ArnPrincipal(`arn:aws:iam::${CONSUMER_ACCOUNT}:root`)] });
      const consumer = new Stack(app, 'Consumer', { env: { account: CONSUMER_ACCOUNT, region: REGION } });
      new InspectedApplication(consumer, 'Application', {
        inspectionService: GatewayLoadBalancerEndpointService.fromServiceName(consumer, 'InspectionService', SERVICE_NAME),
      });
    }, AZ_CONTEXT);
  });
  afterAll(() => {
    variant?.dispose();
    consoleError.mockRestore();
  });

  test('exactly the documented warning: the service of another account cannot be verified; no error', () => {
    expect(ruleSummary(variant.violations)).toEqual([`warning ${UnresolvedRuleId.R4}`]);
    expect(variant.violations[0].constructPaths).toEqual(['Consumer/Application/Routing/Endpoint1/Resource']);
    expect(variant.findings[0].resources.map((r) => r.constructPath)).toEqual(['Consumer/Application/Routing/Endpoint1/Resource', 'Consumer/Application/Routing/Endpoint2/Resource']);
    expect(variant.findings.map((f) => `${f.severity} ${f.ruleId}`)).toEqual([`warning ${UnresolvedRuleId.R4}`]);
    expect(variant.findings[0].message).toContain(`Endpoint service '${SERVICE_NAME}'`);
    expect(variant.findings[0].message).toContain('a service of another account or app');
  });

  test('cfn-lint reports nothing (literal zone names are expected in env-aware stacks)', () => {
    expect(cfnLint(variant.templates, { envAware: true })).toBe('');
  });
});
