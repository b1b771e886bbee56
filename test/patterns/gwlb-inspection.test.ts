import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ApplicationEgress, GwlbInspection, InspectedApplication, InspectionVpc } from '../../lib/patterns';
import { checkPerZonePaths } from './support/routing-paths';
import { logicalIdOf, resourcesOfType } from './support/synth';

describe('GwlbInspection', () => {
  test('one statement builds both sides, the application routed through the inspection service', () => {
    const stack = new Stack();
    const inspection = new GwlbInspection(stack, 'Gwlb');
    const template = Template.fromStack(stack);
    expect(inspection.inspectionVpc).toBeInstanceOf(InspectionVpc);
    expect(inspection.application).toBeInstanceOf(InspectedApplication);
    template.resourceCountIs('AWS::EC2::VPC', 2);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 2);
    const serviceId = logicalIdOf(inspection.inspectionVpc.endpointService);
    const endpoints = resourcesOfType(template, 'AWS::EC2::VPCEndpoint').filter(([, e]) => e.Properties.VpcEndpointType === 'GatewayLoadBalancer');
    expect(endpoints).toHaveLength(2);
    for (const [, e] of endpoints) {
      expect(JSON.stringify(e.Properties.ServiceName)).toContain(`{"Ref":"${serviceId}"}`);
    }
  });

  test('props reach each side', () => {
    const stack = new Stack();
    const inspection = new GwlbInspection(stack, 'Gwlb', {
      inspectionVpcProps: { deregistrationDelay: Duration.seconds(30), cidr: '10.50.0.0/16' },
      inspectedApplicationProps: { egress: ApplicationEgress.NONE, cidr: '10.60.0.0/16' },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.50.0.0/16' });
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.60.0.0/16' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }],
    });
    expect(inspection.application.vpc.node.path).toBe('Default/Gwlb/Application/Vpc');
  });

  test('the per-zone paths hold with both sides in one template', () => {
    const stack = new Stack(undefined, 'S', { env: { account: '111122223333', region: 'eu-west-1' } });
    new GwlbInspection(stack, 'Gwlb', { inspectedApplicationProps: { maxAzs: 3 }, inspectionVpcProps: { maxAzs: 3 } });
    // the inspection VPC's own subnets carry other names, so only the application tiers are checked
    const json = Template.fromStack(stack).toJSON() as any;
    const appOnly = { Resources: Object.fromEntries(Object.entries(json.Resources).filter(([id]) => !id.startsWith('GwlbInspection'))) };
    expect(checkPerZonePaths(appOnly)).toHaveLength(3);
  });
});
