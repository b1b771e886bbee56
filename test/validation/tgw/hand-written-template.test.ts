/**
 * The TGW rules on a CloudFormation template of the centralized pattern written without CDK
 * (centralized-inspection.template.json: two AZs, two spokes, 10.0.0.0/8 summary routes, the
 * endpoints consuming another account's service). The intact template has no finding; each
 * test breaks it the way real templates are broken and expects exactly that rule.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { Finding, FindingSeverity, RuleId, validateTemplates } from '../../../lib/validation';

const FILE = path.join(__dirname, 'centralized-inspection.template.json');

type Template = { Resources: Record<string, { Type: string; Properties?: any; DependsOn?: string | string[] }> };

function load(): Template {
  return JSON.parse(readFileSync(FILE, 'utf8'));
}

function check(template: Template, region?: string): Finding[] {
  return validateTemplates([{ template, stackName: 'HandWritten', templatePath: FILE, region }]);
}

const errors = (f: Finding[]) => f.filter((x) => x.severity === FindingSeverity.ERROR);
const rulesOf = (f: Finding[]) => [...new Set(errors(f).map((x) => x.ruleId))].sort();

describe('hand-written centralized inspection template', () => {
  test('the intact template has no error, and only the warning that the other account\'s service cannot be seen', () => {
    for (const region of [undefined, 'eu-west-1']) {
      const f = check(load(), region);
      expect(errors(f)).toEqual([]);
      expect([...new Set(f.map((x) => x.ruleId))]).toEqual(['GWLB-R4-UNRESOLVED']);
    }
  });

  test('fails T1 when the inspection attachment has no appliance mode', () => {
    const t = load();
    delete t.Resources.InspectionAttachment.Properties.Options;
    const f = check(t);
    expect(rulesOf(f)).toEqual([RuleId.TGW_APPLIANCE_MODE]);
    expect(errors(f)[0].resources[0]).toMatchObject({ logicalId: 'InspectionAttachment', location: 'Properties/Options/ApplianceModeSupport' });
    expect(errors(f)[0].message).toContain('appliance mode disable');
  });

  test('fails T2 when one AZ\'s attachment subnet uses the other AZ\'s endpoint', () => {
    const t = load();
    t.Resources.FromTgwToGwlbeB.Properties.VpcEndpointId = { Ref: 'GwlbeA' };
    const f = errors(check(t));
    expect(f.map((x) => x.ruleId)).toEqual([RuleId.TGW_AZ_SYMMETRY]);
    expect(f[0].availabilityZone).toContain('GetAZs[1]');
    expect(f[0].resources.map((r) => r.logicalId)).toEqual(expect.arrayContaining(['TgwSubnetB', 'FromTgwToGwlbeB', 'GwlbeA']));
  });

  test('fails T2 when an endpoint subnet egresses through the NAT gateway of another AZ', () => {
    const t = load();
    t.Resources.InspectedToNatA.Properties.NatGatewayId = { Ref: 'NatB' };
    const f = errors(check(t));
    expect(f.map((x) => x.ruleId)).toEqual([RuleId.TGW_AZ_SYMMETRY]);
    expect(f[0].message).toContain('NAT gateway');
  });

  test('fails T2 when NAT replies for the spokes skip the endpoint (straight back to the TGW)', () => {
    const t = load();
    t.Resources.RepliesToGwlbeA.Properties = { RouteTableId: { Ref: 'NatTableA' }, DestinationCidrBlock: '10.0.0.0/8', TransitGatewayId: { Ref: 'Tgw' } };
    const f = errors(check(t));
    expect(rulesOf(f)).toEqual([RuleId.TGW_AZ_SYMMETRY]);
    expect(f).toHaveLength(2); // one per spoke CIDR
    expect(f.every((x) => x.message.includes('NAT subnet'))).toBe(true);
  });

  test('fails T2 when the endpoint subnet has no way back to the spokes', () => {
    const t = load();
    delete t.Resources.InspectedToSpokesB;
    const f = errors(check(t));
    expect(rulesOf(f)).toEqual([RuleId.TGW_AZ_SYMMETRY]);
    expect(f.map((x) => x.message).join(' ')).toContain('10.1.0.0/16');
  });

  test('fails T3 when a spoke subnet has its own internet gateway default route', () => {
    const t = load();
    t.Resources.Spoke2Igw = { Type: 'AWS::EC2::InternetGateway' };
    t.Resources.Spoke2IgwAttachment = { Type: 'AWS::EC2::VPCGatewayAttachment', Properties: { VpcId: { Ref: 'Spoke2Vpc' }, InternetGatewayId: { Ref: 'Spoke2Igw' } } };
    t.Resources.Spoke2Default.Properties = { RouteTableId: { Ref: 'Spoke2Table' }, DestinationCidrBlock: '0.0.0.0/0', GatewayId: { Ref: 'Spoke2Igw' } };
    const f = errors(check(t));
    expect(rulesOf(f)).toEqual([RuleId.TGW_SPOKE_ROUTE_BYPASS]);
    expect(f).toHaveLength(2); // both subnets of the table
    expect(f[0].resources[0]).toMatchObject({ logicalId: 'Spoke2Default', location: 'Properties/GatewayId' });
  });

  test('fails T3 on a peering route between spokes', () => {
    const t = load();
    t.Resources.Peering = { Type: 'AWS::EC2::VPCPeeringConnection', Properties: { VpcId: { Ref: 'Spoke1Vpc' }, PeerVpcId: { Ref: 'Spoke2Vpc' } } };
    t.Resources.Spoke1ToSpoke2 = { Type: 'AWS::EC2::Route', Properties: { RouteTableId: { Ref: 'Spoke1Table' }, DestinationCidrBlock: '10.2.0.0/16', VpcPeeringConnectionId: { Ref: 'Peering' } } };
    expect(rulesOf(check(t))).toEqual([RuleId.TGW_SPOKE_ROUTE_BYPASS]);
  });

  test('fails T4 when a spoke propagates into the spokes\' table', () => {
    const t = load();
    t.Resources.Spoke1IntoSpokesTable = { Type: 'AWS::EC2::TransitGatewayRouteTablePropagation', Properties: { TransitGatewayAttachmentId: { Ref: 'Spoke1Attachment' }, TransitGatewayRouteTableId: { Ref: 'SpokesTable' } } };
    const f = errors(check(t));
    expect(rulesOf(f)).toEqual([RuleId.TGW_TABLE_BYPASS]);
    expect(f).toHaveLength(1); // spoke 2 reaches spoke 1 directly; spoke 1's own propagation is harmless to it
    expect(f[0].resources[0]).toMatchObject({ logicalId: 'Spoke1IntoSpokesTable' });
  });

  test('fails T4 when a spoke is associated with the inspection table', () => {
    const t = load();
    t.Resources.Spoke2Association.Properties.TransitGatewayRouteTableId = { Ref: 'FirewallTable' };
    const f = errors(check(t));
    expect(rulesOf(f)).toEqual([RuleId.TGW_TABLE_BYPASS]);
    expect(f[0].message).toContain('inspection VPC\'s route table');
  });

  test('fails T4 when the Transit Gateway keeps its default route table propagation', () => {
    const t = load();
    delete t.Resources.Tgw.Properties.DefaultRouteTablePropagation;
    const f = errors(check(t));
    expect(f.map((x) => x.ruleId)).toEqual([RuleId.TGW_TABLE_BYPASS]);
    expect(f[0].resources[0]).toMatchObject({ logicalId: 'Tgw', location: 'Properties/DefaultRouteTablePropagation' });
  });

  test('fails T4 when the spokes\' default route goes to a spoke instead of the inspection attachment', () => {
    const t = load();
    t.Resources.SpokesDefaultToInspection.Properties.TransitGatewayAttachmentId = { Ref: 'Spoke2Attachment' };
    const f = errors(check(t));
    expect(rulesOf(f)).toEqual([RuleId.TGW_TABLE_BYPASS]);
    expect(f.map((x) => x.message).join(' ')).toContain('no 0.0.0.0/0 route to the inspection attachment');
  });

  test('fails T4 when a spoke is not propagated into the inspection table (its inspected traffic cannot come back)', () => {
    const t = load();
    delete t.Resources.Spoke2IntoFirewallTable;
    const f = errors(check(t));
    expect(f.map((x) => x.ruleId)).toEqual([RuleId.TGW_TABLE_BYPASS]);
    expect(f[0].message).toContain('neither a propagation from nor a route to spoke attachment Spoke2Attachment');
  });

  test('a spoke with GWLB endpoints of its own (distributed ingress inspection) is still a spoke, not an inspection VPC', () => {
    const t = load();
    t.Resources.Spoke1IngressEndpoint = { Type: 'AWS::EC2::VPCEndpoint', Properties: {
      VpcEndpointType: 'GatewayLoadBalancer', VpcId: { Ref: 'Spoke1Vpc' }, ServiceName: 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0', SubnetIds: [{ Ref: 'Spoke1SubnetA' }],
    } };
    expect(errors(check(t))).toEqual([]);
    expect(check(t).filter((x) => x.ruleId.startsWith('GWLB-T'))).toEqual([]);
  });

  test('warns (does not guess) when a spoke VPC is imported and its CIDR is unknown', () => {
    const t = load();
    t.Resources.Spoke2Attachment.Properties.VpcId = 'vpc-0123456789abcdef0';
    const f = check(t);
    expect(errors(f)).toEqual([]);
    expect(f.some((x) => x.ruleId === 'GWLB-T-UNRESOLVED' && x.message.includes('Spoke2Attachment'))).toBe(true);
  });
});
