import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ApplicationEgress, GwlbInspection } from '../../../lib/patterns';
import { cfnLint, checkedPaths, synthVariant, SynthesizedVariant } from './support';

const EGRESS = [ApplicationEgress.INSPECTED_NAT_GATEWAYS, ApplicationEgress.NONE];

describe('variant: outbound traffic of the application instances', () => {
  const variants = new Map<ApplicationEgress, { variant: SynthesizedVariant; inspection: GwlbInspection }>();
  beforeAll(() => {
    for (const egress of EGRESS) {
      let inspection: GwlbInspection | undefined;
      const variant = synthVariant((app) => {
        inspection = new GwlbInspection(new Stack(app, 'Egress'), 'Inspection', { inspectedApplicationProps: { egress } });
      });
      variants.set(egress, { variant, inspection: inspection! });
    }
  });
  afterAll(() => variants.forEach(({ variant }) => variant.dispose()));

  test('INSPECTED_NAT_GATEWAYS: one NAT gateway per zone, in the inspected load balancer subnets', () => {
    const { application } = variants.get(ApplicationEgress.INSPECTED_NAT_GATEWAYS)!.inspection;
    const nats = application.loadBalancerSubnets.flatMap((s) => s.node.children.filter((c) => c instanceof ec2.CfnNatGateway));
    expect(nats).toHaveLength(2);
  });

  test('NONE: no NAT gateway anywhere, isolated application subnets', () => {
    const { application } = variants.get(ApplicationEgress.NONE)!.inspection;
    expect(application.vpc.node.findAll().filter((c) => c instanceof ec2.CfnNatGateway)).toEqual([]);
    expect(application.vpc.isolatedSubnets).toHaveLength(2);
  });

  test.each(EGRESS)('%s: cdk-nag and the validator report nothing unacknowledged', (egress) => {
    const { variant } = variants.get(egress)!;
    expect(variant.violations).toEqual([]);
    expect(variant.findings).toEqual([]);
    expect(checkedPaths(variant.templates)).toEqual({ inspectedSubnets: 2, ingressEndpoints: 2, endpointsWithKnownService: 2 });
  });

  test('cfn-lint reports nothing', () => {
    expect(cfnLint([...variants.values()].flatMap(({ variant }) => variant.templates))).toBe('');
  });
});
