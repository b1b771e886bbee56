import { Finding, Involved, nameOf, RuleId, unresolved, UnresolvedRuleId, violation } from '../findings';
import { GwlbModel } from '../model';
import { isUnresolved } from '../resolve';
import { describe, TgwAttachmentNode, TgwLinkNode, TgwModel } from '../tgw-model';
import { refTarget } from '../tokens';
import { GwlbRule } from './rule';

/**
 * T4: the Transit Gateway's route tables give a spoke no way around the inspection attachment:
 * the Transit Gateway has default association and propagation off; each spoke attachment is
 * associated with a table whose 0.0.0.0/0 goes to the inspection attachment, that has no route
 * to (and no propagation from) another spoke, and that is not the inspection VPC's own table.
 */
export const tgwTableBypass: GwlbRule = {
  id: RuleId.TGW_TABLE_BYPASS,
  unresolvedId: UnresolvedRuleId.T,
  description: 'The Transit Gateway has default route table association and propagation off; each spoke is associated with a table that sends 0.0.0.0/0 to the inspection attachment and has no route to, or propagation from, another spoke; the inspection table routes each spoke back.',
  check: (model: GwlbModel): Finding[] => {
    const tgw = TgwModel.of(model);
    const findings: Finding[] = [];
    const inspections = tgw.inspectionAttachments();
    const gateways = new Set(inspections.map((a) => refTarget(a.transitGatewayId)).filter((k) => k !== undefined));
    for (const imported of new Set(inspections.filter((a) => refTarget(a.transitGatewayId) === undefined))) {
      findings.push(unresolved(UnresolvedRuleId.T, {
        resources: [[imported, 'Properties/TransitGatewayId']],
        message: `Transit Gateway ${describe(imported.transitGatewayId)} of inspection attachment ${nameOf(imported)} is not in the app: whether its default route table association and propagation are off cannot be checked.`,
        fix: 'Check that the Transit Gateway has DefaultRouteTableAssociation and DefaultRouteTablePropagation disable (or acknowledge this warning).',
      }));
    }
    for (const key of gateways) {
      const gateway = tgw.transitGateways.get(key);
      for (const [property, value] of gateway ? [['DefaultRouteTableAssociation', gateway.defaultRouteTableAssociation], ['DefaultRouteTablePropagation', gateway.defaultRouteTablePropagation]] as const : []) {
        if (value !== 'disable') {
          findings.push(violation(RuleId.TGW_TABLE_BYPASS, {
            resources: [[gateway!, `Properties/${property}`]],
            message: `Transit Gateway ${nameOf(gateway!)} has ${property} ${describe(value)}: every attachment ${property.endsWith('Association') ? 'is associated with' : 'propagates into'} the default route table, where spokes reach each other without inspection.`,
            fix: `Set ${property} to disable and associate/propagate each attachment explicitly.`,
          }));
        }
      }
    }
    const inspectionTables = new Set(inspections.flatMap((a) => tgw.associationsOf(a)).map((a) => a.routeTableId).filter((id) => typeof id === 'string'));
    for (const inspection of inspections) {
      const spokes = tgw.spokeAttachments(inspection);
      for (const spoke of spokes) {
        findings.push(...checkSpoke(tgw, spoke, spokes, inspections, inspectionTables));
        findings.push(...checkReturn(tgw, inspection, spoke));
      }
    }
    return findings;
  },
};

function checkSpoke(
  tgw: TgwModel, spoke: TgwAttachmentNode, spokes: readonly TgwAttachmentNode[], inspections: readonly TgwAttachmentNode[], inspectionTables: ReadonlySet<unknown>,
): Finding[] {
  const associations = tgw.associationsOf(spoke);
  if (associations.length === 0) {
    return [unresolved(UnresolvedRuleId.T, {
      resources: [spoke],
      message: `Spoke attachment ${nameOf(spoke)} has no route table association in the app: whether its traffic is inspected cannot be checked.`,
      fix: `Associate ${spoke.meta.logicalId} with the spokes' route table (0.0.0.0/0 -> inspection attachment).`,
    })];
  }
  const findings: Finding[] = [];
  const error = (resources: Involved[], message: string, fix: string) => findings.push(violation(RuleId.TGW_TABLE_BYPASS, { resources, message, fix }));
  for (const association of associations) {
    const table = tgw.lookup(tgw.routeTables, association.routeTableId);
    const base: Involved[] = [[association, 'Properties/TransitGatewayRouteTableId'], spoke, ...(table ? [table] : [])];
    if (inspectionTables.has(association.routeTableId)) {
      error(base, `Spoke attachment ${nameOf(spoke)} is associated with the inspection VPC's route table ${describe(association.routeTableId)}, which routes every spoke CIDR directly: its traffic to other spokes skips inspection.`,
        `Associate ${spoke.meta.logicalId} with the spokes' route table instead.`);
      continue;
    }
    const routes = tgw.routesOf(association.routeTableId);
    const toInspection = routes.filter((r) => !r.blackhole && tgw.isOneOf(r.attachmentId, inspections) !== undefined && r.destination === '0.0.0.0/0');
    if (toInspection.length === 0) {
      error(base, `The route table ${describe(association.routeTableId)} of spoke attachment ${nameOf(spoke)} has no 0.0.0.0/0 route to the inspection attachment: the spoke's internet and east-west traffic is not inspected.`,
        `Add a TransitGatewayRoute 0.0.0.0/0 -> the inspection VPC's attachment to that table.`);
    }
    for (const route of routes) {
      const other = tgw.isOneOf(route.attachmentId, spokes);
      if (other && !route.blackhole) {
        error([...base, [route, 'Properties/TransitGatewayAttachmentId'], other], `Route ${route.meta.logicalId} (${describe(route.destination)}) of spoke table ${describe(association.routeTableId)} goes straight to spoke attachment ${nameOf(other)}: that east-west traffic skips inspection.`,
          `Remove ${route.meta.logicalId}; spokes reach each other through 0.0.0.0/0 -> inspection attachment.`);
      } else if (route.destination === '0.0.0.0/0' && !route.blackhole && !tgw.isOneOf(route.attachmentId, inspections)) {
        error([...base, [route, 'Properties/TransitGatewayAttachmentId']], `Route ${route.meta.logicalId} 0.0.0.0/0 of spoke table ${describe(association.routeTableId)} goes to ${describe(route.attachmentId)}, not the inspection attachment.`,
          `Point 0.0.0.0/0 of the spokes' table at the inspection VPC's attachment.`);
      }
    }
    for (const propagation of tgw.propagationsInto(association.routeTableId)) {
      findings.push(...propagationFinding(tgw, propagation, spoke, spokes, base, association));
    }
  }
  return findings;
}

function propagationFinding(
  tgw: TgwModel, propagation: TgwLinkNode, spoke: TgwAttachmentNode, spokes: readonly TgwAttachmentNode[], base: Involved[], association: TgwLinkNode,
): Finding[] {
  if (isUnresolved(propagation.attachmentId)) {
    return [unresolved(UnresolvedRuleId.T, { resources: [propagation, ...base], message: `Propagation ${nameOf(propagation)} into the spoke table of ${nameOf(spoke)} names an attachment unknown at synth time.`, fix: 'Propagate only the inspection attachment (or nothing) into the spokes\' table.' })];
  }
  const other = tgw.isOneOf(propagation.attachmentId, spokes);
  if (!other || other === spoke) {
    return [];
  }
  return [violation(RuleId.TGW_TABLE_BYPASS, {
    resources: [[propagation, 'Properties/TransitGatewayAttachmentId'], ...base, other],
    message: `Spoke attachment ${nameOf(other)} propagates into route table ${describe(association.routeTableId)} of spoke ${nameOf(spoke)}: its CIDR becomes a more specific route than 0.0.0.0/0, so traffic between the two spokes skips inspection.`,
    fix: `Remove propagation ${propagation.meta.logicalId} (propagate spokes into the inspection table only), or acknowledge this rule on it if east-west traffic is meant to be uninspected.`,
  })];
}

/** The inspection attachment's table must route the spoke back: a propagation from it, or a static route to it. */
function checkReturn(tgw: TgwModel, inspection: TgwAttachmentNode, spoke: TgwAttachmentNode): Finding[] {
  const tables = tgw.associationsOf(inspection).map((a) => a.routeTableId);
  if (tables.length === 0 || tables.some((t) => !tgw.lookup(tgw.routeTables, t))) {
    return tables.length === 0 ? [unresolved(UnresolvedRuleId.T, {
      resources: [inspection],
      message: `Inspection attachment ${nameOf(inspection)} has no route table association in the app: the way back to the spokes cannot be checked.`,
      fix: `Associate ${inspection.meta.logicalId} with the inspection route table (spoke CIDRs -> spokes).`,
    })] : [];
  }
  const routed = tables.some((t) => tgw.propagationsInto(t).some((p) => refTarget(p.attachmentId) === spoke.meta.key)
    || tgw.routesOf(t).some((r) => !r.blackhole && refTarget(r.attachmentId) === spoke.meta.key));
  if (routed) {
    return [];
  }
  return [violation(RuleId.TGW_TABLE_BYPASS, {
    resources: [spoke, inspection],
    message: `The inspection route table ${tables.map(describe).join(', ')} has neither a propagation from nor a route to spoke attachment ${nameOf(spoke)}: inspected traffic to that spoke is dropped at the Transit Gateway.`,
    fix: `Propagate ${spoke.meta.logicalId} into the inspection route table (TransitGatewayRouteTablePropagation), or add a static route for its CIDR.`,
  })];
}
