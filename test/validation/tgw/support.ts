import { GwlbModel, loadTemplateFiles } from '../../../lib/validation';
import { TgwModel } from '../../../lib/validation/tgw-model';

/** What the TGW rules had to check, so that "no finding" is known not to be vacuous. */
export interface TgwCoverage {
  readonly inspectionAttachments: number;
  /** Subnets of the inspection attachments (one per AZ), each checked end to end. */
  readonly attachmentSubnets: number;
  readonly spokeAttachments: number;
  /** Spoke CIDR blocks known to the validator (checked in every AZ's return routes). */
  readonly knownSpokeCidrs: number;
}

export function tgwCoverage(templates: readonly string[]): TgwCoverage {
  const model = GwlbModel.fromTemplates(loadTemplateFiles(templates.map((templatePath) => ({ templatePath }))));
  const tgw = TgwModel.of(model);
  const inspections = tgw.inspectionAttachments();
  const spokes = tgw.allSpokeAttachments();
  return {
    inspectionAttachments: inspections.length,
    attachmentSubnets: inspections.reduce((n, a) => n + a.subnetIds.filter((id) => model.lookup(model.subnets, id)).length, 0),
    spokeAttachments: spokes.length,
    knownSpokeCidrs: spokes.flatMap((s) => tgw.vpcCidrs(s)).filter((c) => typeof c === 'string').length,
  };
}
