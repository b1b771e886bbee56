import { Stack } from 'aws-cdk-lib';
import { ApplicationIpProtocol, GwlbInspection } from '../../../lib/patterns';
import { cfnLint, checkedPaths, synthVariant, SynthesizedVariant } from './support';

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

  test('cdk-nag and the validator report nothing unacknowledged', () => {
    expect(variant.violations).toEqual([]);
    expect(variant.findings).toEqual([]);
  });

  test('cfn-lint reports nothing', () => {
    expect(cfnLint(variant.templates)).toBe('');
  });
});
