/**
 * Input: JSON and YAML with CloudFormation short-form tags, one unreadable file among good ones,
 * nested stacks from local paths and from S3; messages: no raw tokens or "undefined", endpoint
 * services named through a custom resource of the same template.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Finding, FindingSeverity, formatFinding, InputRuleId, RuleId, UnresolvedRuleId, validateTemplateFiles } from '../../../lib/validation';
import { parseTemplateText, resourcePositions } from '../../../lib/validation/cfn-yaml';
import { edit, errorsOf, ids, PROVIDER, SPOKE, validateTexts } from './templates';

describe('reading templates', () => {
  test('short-form tags become their long form (scalar, sequence and mapping forms)', () => {
    const parsed = parseTemplateText(`Resources:
  R:
    Type: T
    Properties:
      A: !GetAtt Lb.DNSName
      B: !GetAtt [Lb, Arn]
      C: !Sub "\${AWS::Region}-x"
      D: !Join ["", [!Ref X, !Select [0, !GetAZs ""]]]
      E: !If [Cond, !Ref "AWS::NoValue", {Key: !ImportValue Exported}]
      F: !Cidr [!GetAtt Vpc.CidrBlock, 2, 8]
      G: !FindInMap [M, !Ref "AWS::Region", K]
      H: true
      I: 6081
Conditions:
  Cond: !And [!Condition Other, !Not [!Equals [!Ref P, ""]]]
`) as { Resources: { R: { Properties: Record<string, unknown> } }; Conditions: Record<string, unknown> };
    expect(parsed.Resources.R.Properties).toEqual({
      A: { 'Fn::GetAtt': ['Lb', 'DNSName'] },
      B: { 'Fn::GetAtt': ['Lb', 'Arn'] },
      C: { 'Fn::Sub': '${AWS::Region}-x' },
      D: { 'Fn::Join': ['', [{ Ref: 'X' }, { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }]] },
      E: { 'Fn::If': ['Cond', { Ref: 'AWS::NoValue' }, { Key: { 'Fn::ImportValue': 'Exported' } }] },
      F: { 'Fn::Cidr': [{ 'Fn::GetAtt': ['Vpc', 'CidrBlock'] }, 2, 8] },
      G: { 'Fn::FindInMap': ['M', { Ref: 'AWS::Region' }, 'K'] },
      H: true,
      I: 6081,
    });
    expect(parsed.Conditions.Cond).toEqual({ 'Fn::And': [{ Condition: 'Other' }, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'P' }, ''] }] }] });
  });

  test('fails on broken YAML with the parser\'s line and column', () => {
    expect(() => parseTemplateText('Resources:\n  A: [1,\n')).toThrow(/line 3, column 1/);
    expect(() => parseTemplateText('')).toThrow(/empty/);
    expect(() => parseTemplateText('- a list')).toThrow(/not a CloudFormation template/);
  });

  test('finds the line and column of each resource in YAML and in JSON', () => {
    expect(resourcePositions('Resources:\n  First: {Type: A}\n  Second:\n    Type: B\n').get('Second')).toEqual({ line: 3, column: 3 });
    expect(resourcePositions('{\n  "Resources": {\n    "First": {"Type": "A"},\n    "Second": {"Type": "B"}\n  }\n}').get('Second')).toEqual({ line: 4, column: 5 });
  });

  test('the same template as JSON and as YAML gives the same findings', () => {
    const faulty = edit(SPOKE, 'VpcEndpointId: !Ref EndpointB}\n  EdgeToA', 'GatewayId: !Ref Igw}\n  EdgeToA');
    const json = JSON.stringify(parseTemplateText(faulty), null, 2);
    const summary = (findings: Finding[]) => findings.map((f) => `${f.ruleId} ${f.message}`);
    expect(summary(validateTexts({ 'spoke.json': json }))).toEqual(summary(validateTexts({ 'spoke.yaml': faulty })));
    expect(errorsOf(validateTexts({ 'spoke.json': json }))).toHaveLength(1);
  });

  test('fails with a finding for an unreadable file and still validates the others', () => {
    const faulty = edit(SPOKE, 'VpcEndpointId: !Ref EndpointB}\n  EdgeToA', 'GatewayId: !Ref Igw}\n  EdgeToA');
    const findings = validateTexts({ 'broken.yaml': 'Resources:\n  A: [1,\n', 'spoke.yaml': faulty });
    const unreadable = findings.filter((f) => f.ruleId === InputRuleId.UNREADABLE);
    expect(unreadable).toHaveLength(1);
    expect(unreadable[0].severity).toBe(FindingSeverity.ERROR);
    expect(unreadable[0].templatePath).toMatch(/broken\.yaml$/);
    expect(unreadable[0].message).toMatch(/Cannot read template .*broken\.yaml/);
    expect(findings.map((f) => f.ruleId)).toContain(RuleId.RETURN_ROUTE_SYMMETRY);
    expect(validateTemplateFiles(['/nonexistent/template.yaml']).map((f) => f.ruleId)).toEqual([InputRuleId.UNREADABLE]);
  });

  describe('nested stacks', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'gwlb-nested-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const parent = (url: string) => `Resources:
  Network:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: ${url}
      Parameters: {Egress: 10.0.0.0/8}
`;

    test('a nested stack whose TemplateURL is an S3 URL is reported, not skipped in silence', () => {
      writeFileSync(path.join(dir, 'parent.yaml'), parent('https://my-bucket.s3.amazonaws.com/templates/spoke.yaml'));
      const findings = validateTemplateFiles([path.join(dir, 'parent.yaml')]);
      expect(ids(findings)).toEqual([`warning ${InputRuleId.NESTED_STACK_NOT_LOADED}`]);
      expect(findings[0].message).toContain('https://my-bucket.s3.amazonaws.com/templates/spoke.yaml');
    });

    test('fails inside a nested stack read from a local TemplateURL, with the parameter the parent passes', () => {
      writeFileSync(path.join(dir, 'spoke.yaml'), SPOKE);
      writeFileSync(path.join(dir, 'parent.yaml'), parent('./spoke.yaml'));
      const findings = errorsOf(validateTemplateFiles([path.join(dir, 'parent.yaml')]));
      expect(findings.map((f) => f.ruleId)).toEqual([RuleId.RETURN_ROUTE_SYMMETRY, RuleId.RETURN_ROUTE_SYMMETRY]);
      expect(findings[0].resources[0].templatePath).toBe(path.join(dir, 'spoke.yaml'));
    });
  });
});

describe('messages', () => {
  const faults = [
    edit(SPOKE, 'VpcEndpointId: !Ref EndpointB}\n  EdgeToA', 'GatewayId: !Ref Igw}\n  EdgeToA'),
    edit(SPOKE, 'Egress: {Type: String, Default: 0.0.0.0/0}', 'Egress: {Type: String}'),
    edit(SPOKE, 'WebBlockA: {Type: String, Default: 10.20.1.0/24}', 'WebBlockA: {Type: String}'),
    edit(SPOKE, '  EdgeAssoc:\n    Type: AWS::EC2::GatewayRouteTableAssociation\n    Properties: {GatewayId: !Ref Igw, RouteTableId: !Ref EdgeTable}\n', ''),
    edit(PROVIDER, '        - Id: !Ref Appliance2\n', '        - Port: 1\n'),
  ];

  test.each(faults.map((f, i) => [i, f]))('findings of fault %d contain no raw token, "undefined" or "[object"', (_i, text) => {
    const findings = validateTexts({ 't.yaml': text as string });
    expect(findings.length).toBeGreaterThan(0);
    for (const line of findings.map(formatFinding)) {
      expect(line).not.toMatch(/\{\{|\}\}|undefined|\[object|target without Id/);
    }
  });

  test('an endpoint service named through a custom resource of the same template is followed', () => {
    const findings = validateTexts({ 'p.yaml': PROVIDER });
    expect(findings.map((f) => f.message).join(' ')).not.toMatch(/another account/);
    expect(findings.filter((f) => f.ruleId === UnresolvedRuleId.R4).map((f) => f.message).join(' ')).not.toMatch(/ServiceNameLookup/);
  });

  test('fails through the custom resource when its service lists the GWLB under NetworkLoadBalancerArns', () => {
    const wrong = edit(PROVIDER, 'Properties: {GatewayLoadBalancerArns: [!Ref Gwlb], AcceptanceRequired: false}', 'Properties: {NetworkLoadBalancerArns: [!Ref Gwlb], AcceptanceRequired: false}');
    const findings = errorsOf(validateTexts({ 'p.yaml': wrong }));
    expect(findings.map((f) => f.ruleId)).toEqual([RuleId.SERVICE_GWLB_ARNS]);
    expect(findings[0].resources.map((r) => r.logicalId)).toContain('TransitEndpoint1');
  });

  test('a custom resource that names no service says so instead of blaming another account', () => {
    const opaque = edit(PROVIDER, '      ServiceId: !Ref InspectionService\n', '      ServiceId: vpce-svc-0123456789abcdef0\n');
    const warning = validateTexts({ 'p.yaml': opaque }).find((f) => f.ruleId === UnresolvedRuleId.R4 && /ServiceNameLookup/.test(f.message));
    expect(warning?.message).toMatch(/output of custom resource ServiceNameLookup of this app, whose properties name no AWS::EC2::VPCEndpointService/);
  });
});
