/**
 * One deliberately broken architecture per TGW rule, built with the library's constructs and a
 * CDK escape hatch (or wired by hand beside them): `cdk synth` with the path validator fails
 * and names the rule. The same apps without the break synthesize (see variants.test.ts).
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { CentralizedInspection, EastWestTraffic, RuleId, TransitGatewayVpcAttachment, UninspectedTraffic } from '../../../lib';
import { ACCOUNT, AZ_CONTEXT, REGION, synthVariant } from '../variants/support';

const env = { account: ACCOUNT, region: REGION };

function hubWithSpokes(app: App): { stack: Stack; hub: CentralizedInspection } {
  const stack = new Stack(app, 'Hub', { env });
  const hub = new CentralizedInspection(stack, 'Hub');
  hub.addSpoke('SpokeA', { cidr: '10.1.0.0/16' });
  hub.addSpoke('SpokeB', { cidr: '10.2.0.0/16' });
  return { stack, hub };
}

function synthError(build: (app: App) => void): string {
  try {
    synthVariant(build, AZ_CONTEXT).dispose();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('synthesis succeeded');
}

describe('broken centralized architectures fail synthesis', () => {
  test('fails GWLB-T1 when appliance mode is turned off on the inspection attachment', () => {
    const message = synthError((app) => {
      const { hub } = hubWithSpokes(app);
      (hub.inspectionAttachment.node.defaultChild as ec2.CfnTransitGatewayVpcAttachment).addPropertyOverride('Options.ApplianceModeSupport', 'disable');
    });
    expect(message).toMatch(/GWLB-T1-APPLIANCE-MODE/);
    expect(message).not.toMatch(/GWLB-T[234]/);
  });

  test('fails GWLB-T2 when one zone\'s attachment subnet is sent to the other zone\'s endpoint', () => {
    const message = synthError((app) => {
      const { hub } = hubWithSpokes(app);
      const route = hub.node.findChild('AttachmentSubnetRoute2') as ec2.CfnRoute;
      route.vpcEndpointId = hub.endpoints[0].vpcEndpointId;
    });
    expect(message).toMatch(/GWLB-T2-AZ-SYMMETRY/);
    expect(message).toContain(`${REGION}b`);
  });

  test('fails GWLB-T3 when a spoke wired by hand keeps a NAT gateway default route', () => {
    const message = synthError((app) => {
      const { stack, hub } = hubWithSpokes(app);
      const vpc = new ec2.Vpc(stack, 'HandWired', { ipAddresses: ec2.IpAddresses.cidr('10.3.0.0/16'), maxAzs: 2, natGateways: 2, flowLogs: { FlowLog: {} } });
      const attachment = new TransitGatewayVpcAttachment(stack, 'HandWiredAttachment', { transitGateway: hub.transitGateway, vpc, subnets: vpc.privateSubnets });
      attachment.associateWith(stack, 'HandWiredAssociation', hub.spokeRouteTable);
      attachment.propagateTo(stack, 'HandWiredPropagation', hub.inspectionRouteTable);
      hub.routeSpokeCidr(stack, 'HandWiredRoutes', '10.3.0.0/16');
    });
    expect(message).toMatch(/GWLB-T3-SPOKE-ROUTE-BYPASS/);
    expect(message).toContain('NAT gateway');
    expect(message).not.toMatch(/GWLB-T[124]/);
  });

  test('fails GWLB-T4 when a spoke is also propagated into the spokes\' table', () => {
    const message = synthError((app) => {
      const { stack, hub } = hubWithSpokes(app);
      hub.spokes[0].attachment.propagateTo(stack, 'Leak', hub.spokeRouteTable);
    });
    expect(message).toMatch(/GWLB-T4-TGW-TABLE-BYPASS/);
    expect(message).toContain('Leak');
    expect(message).not.toMatch(/GWLB-T[123]/);
  });
});

describe('typed opt-outs: reported, acknowledged, not hidden', () => {
  test('EastWestTraffic.DIRECT_UNINSPECTED: synthesis passes with a warning per propagation; the raw templates still show one T4 error per leaked spoke pair', () => {
    const variant = synthVariant((app) => {
      const hub = new CentralizedInspection(new Stack(app, 'Hub', { env }), 'Hub', { eastWest: EastWestTraffic.DIRECT_UNINSPECTED });
      hub.addSpoke('SpokeA', { cidr: '10.1.0.0/16' });
      hub.addSpoke('SpokeB', { cidr: '10.2.0.0/16' });
    }, AZ_CONTEXT);
    try {
      // The report names what stays uninspected (one warning per propagation); the validator's errors are acknowledged.
      expect(variant.violations.map((v) => `${v.severity} ${v.rule} ${v.constructPaths}`)).toEqual([
        'warning Annotation::cdk-gwlb-inspection:uninspectedEastWest Hub/Hub/SpokeA/DirectPropagation',
        'warning Annotation::cdk-gwlb-inspection:uninspectedEastWest Hub/Hub/SpokeB/DirectPropagation',
      ]);
      expect(variant.findings.map((f) => f.ruleId)).toEqual([RuleId.TGW_TABLE_BYPASS, RuleId.TGW_TABLE_BYPASS]);
    } finally {
      variant.dispose();
    }
  });

  test('UninspectedTraffic.subnets(): synthesis passes with a warning per subnet; the raw templates show the public subnets\' internet routes', () => {
    const variant = synthVariant((app) => {
      const stack = new Stack(app, 'Hub', { env });
      const hub = new CentralizedInspection(stack, 'Hub');
      const vpc = new ec2.Vpc(stack, 'Existing', { ipAddresses: ec2.IpAddresses.cidr('10.3.0.0/16'), maxAzs: 2, natGateways: 1, flowLogs: { FlowLog: {} } });
      hub.addSpoke('Existing', { vpc, uninspected: [UninspectedTraffic.subnets({ subnetType: ec2.SubnetType.PUBLIC }, 'the NAT gateway stays for a vendor appliance update path, reviewed')] });
    }, AZ_CONTEXT);
    try {
      expect(variant.violations.map((v) => `${v.severity} ${v.rule} ${v.constructPaths}`)).toEqual([
        'warning Annotation::cdk-gwlb-inspection:uninspectedSpokeTraffic Hub/Existing/PublicSubnet1',
        'warning Annotation::cdk-gwlb-inspection:uninspectedSpokeTraffic Hub/Existing/PublicSubnet2',
      ]);
      const t3 = variant.findings.filter((f) => f.ruleId === RuleId.TGW_SPOKE_ROUTE_BYPASS);
      expect(t3.map((f) => f.resources[0].constructPath).sort()).toEqual(['Hub/Existing/PublicSubnet1/DefaultRoute', 'Hub/Existing/PublicSubnet2/DefaultRoute']);
    } finally {
      variant.dispose();
    }
  });
});
