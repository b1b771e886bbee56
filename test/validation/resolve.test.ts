import { TemplateInput } from '../../lib/validation';
import { isUnresolved, Resolver, Unresolved } from '../../lib/validation/resolve';
import { toStackTemplates } from '../../lib/validation/templates';

const VPC = { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } };
const SUBNET = {
  Type: 'AWS::EC2::Subnet',
  Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.0.1.0/24', AvailabilityZone: { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] } },
};

function resolver(inputs: TemplateInput[]): Resolver {
  return new Resolver(toStackTemplates(inputs));
}

function one(value: unknown, extra: Record<string, unknown> = {}, input: Partial<TemplateInput> = {}): unknown {
  return resolver([{ template: { Resources: { Vpc: VPC, Subnet: SUBNET, ...extra } as never }, ...input }]).resolve('S0', value);
}

describe('Resolver', () => {
  test('Ref of a resource is a symbolic id naming stack and logical id', () => {
    expect(one({ Ref: 'Subnet' })).toBe('{{ref:S0.Subnet}}');
  });

  test('Fn::GetAtt of an id attribute equals the Ref (same resource identity)', () => {
    expect(one({ 'Fn::GetAtt': ['Subnet', 'SubnetId'] })).toBe(one({ Ref: 'Subnet' }));
    expect(one({ 'Fn::GetAtt': 'Vpc.VpcId' })).toBe('{{ref:S0.Vpc}}');
  });

  test('Fn::GetAtt of a mirrored attribute returns the resolved property', () => {
    expect(one({ 'Fn::GetAtt': ['Subnet', 'CidrBlock'] })).toBe('10.0.1.0/24');
    expect(one({ 'Fn::GetAtt': ['Subnet', 'AvailabilityZone'] })).toBe('{{az:AWS::Region#1}}');
  });

  test('Fn::GetAtt of another attribute stays symbolic', () => {
    expect(one({ 'Fn::GetAtt': ['Vpc', 'DefaultSecurityGroup'] })).toBe('{{att:S0.Vpc.DefaultSecurityGroup}}');
  });

  test('Fn::Select of Fn::GetAZs is an AZ token of the stack region (symbolic when env-agnostic)', () => {
    const azs = (region: unknown) => ({ 'Fn::Select': [2, { 'Fn::GetAZs': region }] });
    expect(one(azs(''))).toBe('{{az:AWS::Region#2}}');
    expect(one(azs({ Ref: 'AWS::Region' }))).toBe('{{az:AWS::Region#2}}');
    expect(one(azs(''), {}, { region: 'us-east-2' })).toBe('{{az:us-east-2#2}}');
    expect(one(azs('ap-south-1'))).toBe('{{az:ap-south-1#2}}');
  });

  test('Fn::GetAZs on its own is unresolved (unknown length)', () => {
    expect(isUnresolved(one({ 'Fn::GetAZs': '' }))).toBe(true);
  });

  test('Fn::Join concatenates resolved parts, pseudo parameters stay symbolic', () => {
    expect(one({ 'Fn::Join': ['', ['com.amazonaws.vpce.', { Ref: 'AWS::Region' }, '.', { Ref: 'Subnet' }]] }))
      .toBe('com.amazonaws.vpce.{{AWS::Region}}.{{ref:S0.Subnet}}');
    expect(one({ 'Fn::Join': ['-', ['a', { Ref: 'AWS::Region' }]] }, {}, { region: 'eu-west-3' })).toBe('a-eu-west-3');
  });

  test('Fn::Select and Fn::Split of literals', () => {
    expect(one({ 'Fn::Select': ['1', { 'Fn::Split': [',', 'a,b,c'] }] })).toBe('b');
  });

  test('Fn::Split of a comma-joined token list splits back; other delimiters on deploy-time values are unresolved', () => {
    const joined = { 'Fn::Join': [',', [{ Ref: 'Subnet' }, { Ref: 'Vpc' }]] };
    expect(one({ 'Fn::Split': [',', joined] })).toEqual(['{{ref:S0.Subnet}}', '{{ref:S0.Vpc}}']);
    expect(isUnresolved(one({ 'Fn::Split': ['/', { Ref: 'Subnet' }] }))).toBe(true);
  });

  test('Fn::Select out of range is unresolved with the reason', () => {
    const value = one({ 'Fn::Select': [5, ['a']] }) as Unresolved;
    expect(value).toBeInstanceOf(Unresolved);
    expect(value.reason).toMatch(/index 5/);
  });

  test('Fn::Sub resolves Ref, GetAtt, pseudo parameters, variables and ${!literal}', () => {
    expect(one({ 'Fn::Sub': ['${Subnet}|${Subnet.CidrBlock}|${AWS::Region}|${X}|${!Keep}', { X: 'x' }] }, {}, { region: 'us-west-2' }))
      .toBe('{{ref:S0.Subnet}}|10.0.1.0/24|us-west-2|x|${Keep}');
    expect(isUnresolved(one({ 'Fn::Sub': '${Missing}' }))).toBe(true);
  });

  test('Fn::Cidr of a literal block computes the blocks; of a deploy-time block yields stable tokens', () => {
    expect(one({ 'Fn::Cidr': ['10.0.0.0/16', 3, 8] })).toEqual(['10.0.0.0/24', '10.0.1.0/24', '10.0.2.0/24']);
    expect(one({ 'Fn::Select': [1, { 'Fn::Cidr': [{ 'Fn::GetAtt': ['Vpc', 'CidrBlock'] }, 2, 12] }] })).toBe('10.0.16.0/20');
    const symbolic = one({ 'Fn::Cidr': [{ Ref: 'AWS::AccountId' }, 2, 8] }) as string[];
    expect(symbolic).toHaveLength(2);
    expect(symbolic[0]).not.toBe(symbolic[1]);
  });

  test('Fn::FindInMap reads Mappings', () => {
    const r = resolver([{ template: { Mappings: { M: { k: { v: '10.9.0.0/16' } } }, Resources: {} } }]);
    expect(r.resolve('S0', { 'Fn::FindInMap': ['M', 'k', 'v'] })).toBe('10.9.0.0/16');
    expect(isUnresolved(r.resolve('S0', { 'Fn::FindInMap': ['M', 'k', 'nope'] }))).toBe(true);
  });

  test('Fn::If and other condition functions are unresolved, not guessed', () => {
    expect(isUnresolved(one({ 'Fn::If': ['C', 'a', 'b'] }))).toBe(true);
  });

  test('AWS::NoValue removes a list item', () => {
    expect(one(['a', { Ref: 'AWS::NoValue' }, 'b'])).toEqual(['a', 'b']);
  });

  test('Ref to a top-level parameter is its Default, else a symbolic parameter token; to nothing is unresolved', () => {
    const r = resolver([{ template: { Parameters: { Cidr: { Type: 'String', Default: '10.0.0.0/8' }, Other: { Type: 'String' } }, Resources: {} } }]);
    expect(r.resolve('S0', { Ref: 'Cidr' })).toBe('10.0.0.0/8');
    expect(r.resolve('S0', { Ref: 'Other' })).toBe('{{param:S0.Other}}');
    expect((r.resolve('S0', { Ref: 'Nope' }) as Unresolved).reason).toMatch(/Nope/);
  });

  test('Fn::ImportValue follows Export.Name to the exporting stack', () => {
    const r = resolver([
      {
        template: {
          Resources: { Service: { Type: 'AWS::EC2::VPCEndpointService', Properties: {} } },
          Outputs: { Out: { Value: { Ref: 'Service' }, Export: { Name: { 'Fn::Join': [':', ['Sec', 'ServiceRef']] } } } },
        },
      },
      { template: { Resources: {} } },
    ]);
    expect(r.resolve('S1', { 'Fn::ImportValue': 'Sec:ServiceRef' })).toBe('{{ref:S0.Service}}');
    const missing = r.resolve('S1', { 'Fn::ImportValue': 'Other:Thing' }) as Unresolved;
    expect(missing.reason).toMatch(/Fn::ImportValue 'Other:Thing' matches no Export.Name/);
  });

  test('nested stacks: parameters come from the parent resource, outputs are read through Fn::GetAtt Outputs.X', () => {
    const r = resolver([
      {
        template: {
          Resources: {
            Vpc: VPC,
            Child: { Type: 'AWS::CloudFormation::Stack', Properties: { Parameters: { VpcParam: { Ref: 'Vpc' } } } },
          },
        },
      },
      {
        parent: { index: 0, logicalId: 'Child' },
        template: {
          Parameters: { VpcParam: { Type: 'String' } },
          Resources: { Table: { Type: 'AWS::EC2::RouteTable', Properties: { VpcId: { Ref: 'VpcParam' } } } },
          Outputs: { TableRef: { Value: { Ref: 'Table' } } },
        },
      },
    ]);
    expect(r.resolve('S1', { Ref: 'VpcParam' })).toBe('{{ref:S0.Vpc}}');
    expect(r.resolve('S0', { 'Fn::GetAtt': ['Child', 'Outputs.TableRef'] })).toBe('{{ref:S1.Table}}');
    expect(isUnresolved(r.resolve('S0', { 'Fn::GetAtt': ['Child', 'Outputs.Nope'] }))).toBe(true);
  });

  test('a reference cycle ends as unresolved instead of overflowing the stack', () => {
    const r = resolver([
      { template: { Resources: {}, Outputs: { A: { Value: { 'Fn::ImportValue': 'b' }, Export: { Name: 'a' } }, B: { Value: { 'Fn::ImportValue': 'a' }, Export: { Name: 'b' } } } } },
    ]);
    expect((r.resolve('S0', { 'Fn::ImportValue': 'a' }) as Unresolved).reason).toMatch(/too deep/);
  });
});

describe('Resolver: Fn::GetStackOutput (weak cross-stack references)', () => {
  const SERVICE = { Type: 'AWS::EC2::VPCEndpointService', Properties: {} };
  const producer = (input: Partial<TemplateInput> = {}): TemplateInput => ({
    stackName: 'Security',
    template: { Resources: { Service: SERVICE }, Outputs: { ServiceRef: { Value: { Ref: 'Service' } } } },
    ...input,
  });
  const consumer = (input: Partial<TemplateInput> = {}): TemplateInput => ({ stackName: 'Application', template: { Resources: {} }, ...input });
  const getOutput = (fields: Record<string, unknown>) => ({ 'Fn::GetStackOutput': { StackName: 'Security', OutputName: 'ServiceRef', ...fields } });
  const reasonOf = (value: unknown) => (value as Unresolved).reason;

  test('reads the output of the stack with that name, in the consumer region by default or by Ref AWS::Region', () => {
    const r = resolver([producer(), consumer()]);
    expect(r.resolve('S1', getOutput({}))).toBe('{{ref:S0.Service}}');
    expect(r.resolve('S1', getOutput({ Region: { Ref: 'AWS::Region' } }))).toBe('{{ref:S0.Service}}');
  });

  test('names the producer by its deployed stack name, not its construct path', () => {
    const r = resolver([producer({ stackName: 'Prod/Security', cloudFormationStackName: 'Prod-Security' }), consumer()]);
    expect(r.resolve('S1', getOutput({ StackName: 'Prod-Security' }))).toBe('{{ref:S0.Service}}');
    expect(reasonOf(r.resolve('S1', getOutput({ StackName: 'Prod/Security' })))).toMatch(/names stack 'Prod\/Security', which is not a stack of this app/);
  });

  test('picks the stack of the requested region among stacks of the same name', () => {
    const r = resolver([
      producer({ region: 'eu-west-1', template: { Resources: { Service: SERVICE }, Outputs: { ServiceRef: { Value: 'west' } } } }),
      producer({ region: 'us-east-1', template: { Resources: { Service: SERVICE }, Outputs: { ServiceRef: { Value: 'east' } } } }),
      consumer({ region: 'eu-west-1' }),
    ]);
    expect(r.resolve('S2', getOutput({}))).toBe('west');
    expect(r.resolve('S2', getOutput({ Region: 'us-east-1' }))).toBe('east');
    expect(reasonOf(r.resolve('S2', getOutput({ Region: 'ap-south-1' })))).toMatch(/stack 'Security' in ap-south-1, which is not a stack/);
  });

  test('a stack of the same name whose region is unknown matches any region; two such stacks are ambiguous', () => {
    expect(resolver([producer(), consumer()]).resolve('S1', getOutput({ Region: 'us-west-2' }))).toBe('{{ref:S0.Service}}');
    const reason = reasonOf(resolver([producer(), producer(), consumer()]).resolve('S2', getOutput({})));
    expect(reason).toMatch(/matches 2 stacks of this app/);
  });

  test('a RoleArn of another account selects the producer of that account', () => {
    const r = resolver([producer({ account: '111111111111' }), consumer({ account: '111111111111' })]);
    expect(r.resolve('S1', getOutput({}))).toBe('{{ref:S0.Service}}');
    const reason = reasonOf(r.resolve('S1', getOutput({ RoleArn: 'arn:aws:iam::222222222222:role/reader' })));
    expect(reason).toMatch(/stack 'Security' of account 222222222222, which is not a stack of this app/);
  });

  test('an unknown output, a deploy-time stack name and a malformed argument are unresolved with the reason', () => {
    const r = resolver([producer(), consumer({ template: { Parameters: { Name: { Type: 'String' } }, Resources: {} } })]);
    expect(reasonOf(r.resolve('S1', getOutput({ OutputName: 'Nope' })))).toMatch(/stack 'Security' has no output 'Nope'/);
    expect(reasonOf(r.resolve('S1', getOutput({ StackName: { Ref: 'Name' } })))).toMatch(/deploy-time StackName/);
    expect(reasonOf(r.resolve('S1', { 'Fn::GetStackOutput': ['Security', 'ServiceRef'] }))).toMatch(/malformed Fn::GetStackOutput/);
  });

  test('a nested stack is never a Fn::GetStackOutput producer (its name is generated)', () => {
    const r = resolver([consumer({ template: { Resources: { Child: { Type: 'AWS::CloudFormation::Stack' } } } }), producer({ parent: { index: 0, logicalId: 'Child' } })]);
    expect(isUnresolved(r.resolve('S0', getOutput({})))).toBe(true);
  });
});

describe('Resolver: IPv6 blocks', () => {
  const DUAL_SUBNET = {
    Type: 'AWS::EC2::Subnet',
    Properties: {
      VpcId: { Ref: 'Vpc' }, CidrBlock: '10.0.1.0/24',
      Ipv6CidrBlock: { 'Fn::Select': [3, { 'Fn::Cidr': [{ 'Fn::Select': [0, { 'Fn::GetAtt': ['Vpc', 'Ipv6CidrBlocks'] }] }, 256, '64'] }] },
    },
  };

  test('an element of a list-valued attribute is a stable symbolic item', () => {
    const first = one({ 'Fn::Select': [0, { 'Fn::GetAtt': ['Vpc', 'Ipv6CidrBlocks'] }] });
    expect(first).toBe('{{item:(att:S0.Vpc.Ipv6CidrBlocks)#0}}');
    expect(one({ 'Fn::Select': [1, { 'Fn::GetAtt': ['Vpc', 'Ipv6CidrBlocks'] }] })).not.toBe(first);
  });

  test('Fn::GetAtt Subnet.Ipv6CidrBlocks starts with the subnet Ipv6CidrBlock (the block as the subnet resolves it)', () => {
    const viaAttribute = one({ 'Fn::Select': [0, { 'Fn::GetAtt': ['Dual', 'Ipv6CidrBlocks'] }] }, { Dual: DUAL_SUBNET });
    expect(viaAttribute).toBe('{{cidr:(item:(att:S0.Vpc.Ipv6CidrBlocks)#0)/64#3}}');
    expect(one({ 'Fn::GetAtt': ['Subnet', 'Ipv6CidrBlocks'] })).toBe('{{att:S0.Subnet.Ipv6CidrBlocks}}'); // IPv4-only subnet
  });
});
