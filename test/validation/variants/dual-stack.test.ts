import { Stack } from 'aws-cdk-lib';
import { ApplicationIpProtocol, GwlbInspection } from '../../../lib/patterns';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { cfnLint, checkedPaths, ipv6EdgeRoutedBlocks, synthVariant, SynthesizedVariant } from './support';

describe('variant: dual-stack (IPv4 and IPv6) internet-facing path', () => {
  let variant: SynthesizedVariant;
  let inspection: GwlbInspection;
  beforeAll(() => {
    variant = synthVariant((app) => {
      inspection = new GwlbInspection(new Stack(app, 'DualStack'), 'Inspection', {
        inspectedApplicationProps: { ipProtocol: ApplicationIpProtocol.DUAL_STACK },
      });
    });
  });
  afterAll(() => variant?.dispose());

  test('the load balancer subnets get IPv6 edge and ::/0 routes through the endpoint of their zone', () => {
    const { application } = inspection;
    expect(application.endpoints.map((e) => (e.node.defaultChild as ec2.CfnVPCEndpoint).ipAddressType)).toEqual(['dualstack', 'dualstack']);
    const ipv6Routes = application.node.findAll().filter((c): c is ec2.CfnRoute => c instanceof ec2.CfnRoute && c.destinationIpv6CidrBlock !== undefined);
    expect(ipv6Routes.filter((r) => r.vpcEndpointId !== undefined)).toHaveLength(4); // 2 edge + 2 ::/0 return
  });

  test('cdk-nag and the validator (IPv4 and IPv6 rules) report nothing unacknowledged', () => {
    expect(variant.violations).toEqual([]);
    expect(variant.findings).toEqual([]);
    expect(checkedPaths(variant.templates)).toEqual({ inspectedSubnets: 2, ingressEndpoints: 2, endpointsWithKnownService: 2 });
    expect(ipv6EdgeRoutedBlocks(variant.templates)).toBe(2);
  });

  test('cfn-lint reports nothing', () => {
    expect(cfnLint(variant.templates)).toBe('');
  });
});
