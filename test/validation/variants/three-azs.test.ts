import { Stack } from 'aws-cdk-lib';
import { GwlbInspection } from '../../../lib/patterns';
import { ACCOUNT, AZ_CONTEXT, cfnLint, checkedPaths, REGION, synthVariant, SynthesizedVariant } from './support';

describe('variant: three availability zones (GwlbInspection in one env-aware stack)', () => {
  let variant: SynthesizedVariant;
  let inspection: GwlbInspection;
  beforeAll(() => {
    variant = synthVariant((app) => {
      const stack = new Stack(app, 'ThreeAzs', { env: { account: ACCOUNT, region: REGION } });
      inspection = new GwlbInspection(stack, 'Inspection', {
        inspectionVpcProps: { maxAzs: 3, minCapacity: 3 },
        inspectedApplicationProps: { maxAzs: 3, minCapacity: 3 },
      });
    }, AZ_CONTEXT);
  });
  afterAll(() => variant?.dispose());

  test('builds one endpoint, edge route and return route per zone, in all three zones', () => {
    const { application, inspectionVpc } = inspection;
    expect(application.endpoints).toHaveLength(3);
    expect(application.routing.edgeRoutes).toHaveLength(3);
    expect(new Set(application.loadBalancerSubnets.map((s) => s.availabilityZone))).toEqual(new Set([`${REGION}a`, `${REGION}b`, `${REGION}c`]));
    expect(inspectionVpc.applianceSubnets).toHaveLength(3);
  });

  test('cdk-nag and the validator report nothing unacknowledged', () => {
    expect(variant.violations).toEqual([]);
    expect(variant.findings).toEqual([]);
    expect(checkedPaths(variant.templates)).toEqual({ inspectedSubnets: 3, ingressEndpoints: 3, endpointsWithKnownService: 3 });
  });

  test('cfn-lint reports nothing (literal zone names are expected in an env-aware stack)', () => {
    expect(cfnLint(variant.templates, { envAware: true })).toBe('');
  });
});
