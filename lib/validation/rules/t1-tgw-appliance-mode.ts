import { Finding, nameOf, RuleId, unresolved, UnresolvedRuleId, violation } from '../findings';
import { GwlbModel } from '../model';
import { isUnresolved } from '../resolve';
import { TgwModel } from '../tgw-model';
import { GwlbRule } from './rule';

/**
 * T1: the Transit Gateway attachment of a VPC holding GWLB endpoints (an inspection VPC) has
 * appliance mode on. Without it the Transit Gateway picks the AZ of each direction of a flow
 * independently, so a reply can cross another AZ's endpoint and appliance, which drops it.
 */
export const tgwApplianceMode: GwlbRule = {
  id: RuleId.TGW_APPLIANCE_MODE,
  unresolvedId: UnresolvedRuleId.T,
  description: 'The Transit Gateway attachment of an inspection VPC (one holding GWLB endpoints) has appliance mode on (Options.ApplianceModeSupport enable).',
  check: (model: GwlbModel): Finding[] => TgwModel.of(model).inspectionAttachments().flatMap((attachment) => {
    const mode = attachment.applianceModeSupport;
    const resources = [[attachment, 'Properties/Options/ApplianceModeSupport'] as [typeof attachment, string]];
    const fix = `Set Options.ApplianceModeSupport to enable on ${attachment.meta.logicalId} (TransitGatewayVpcAttachment applianceMode: true).`;
    if (isUnresolved(mode)) {
      return [unresolved(UnresolvedRuleId.T, { resources, fix, message: `Appliance mode of inspection attachment ${nameOf(attachment)} is not known at synth time (${mode.reason}).` })];
    }
    if (mode !== 'enable') {
      return [violation(RuleId.TGW_APPLIANCE_MODE, {
        resources, fix,
        message: `Inspection VPC attachment ${nameOf(attachment)} has appliance mode ${mode}: the Transit Gateway may send a flow and its reply through different AZs of the inspection VPC, so they cross different endpoints and appliances and stateful inspection drops the flow.`,
      })];
    }
    return [];
  }),
};
