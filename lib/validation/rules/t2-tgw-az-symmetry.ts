import { describeAz, endpointSubnet, sameAz } from '../az';
import { Finding, Involved, nameOf, RuleId, unresolved, UnresolvedRuleId, violation } from '../findings';
import { GwlbModel } from '../model';
import { EndpointNode, ModelValue, RouteTargetKind, SubnetNode } from '../model-types';
import { defaultRoute, describeTarget, subnetRoutes } from '../paths';
import { describe, TgwAttachmentNode, TgwModel } from '../tgw-model';
import { routeFor, targetsTransitGateway } from '../tgw-paths';
import { GwlbRule } from './rule';

/**
 * T2: per AZ of an inspection VPC's Transit Gateway attachment, the whole inspected path stays in
 * that AZ: the attachment subnet sends 0.0.0.0/0 to the GWLB endpoint of its AZ; the endpoint's
 * subnet sends every spoke CIDR back to the Transit Gateway and, when it has egress, 0.0.0.0/0 to a
 * NAT gateway of the same AZ; that NAT gateway's subnet sends every spoke CIDR to a GWLB endpoint
 * of the same AZ (and 0.0.0.0/0 to the internet gateway).
 */
export const tgwAzSymmetry: GwlbRule = {
  id: RuleId.TGW_AZ_SYMMETRY,
  unresolvedId: UnresolvedRuleId.T,
  description: 'Per AZ of the inspection attachment: attachment subnet 0.0.0.0/0 -> GWLB endpoint of that AZ; endpoint subnet spoke CIDRs -> Transit Gateway and 0.0.0.0/0 -> NAT gateway of that AZ (or none); NAT subnet spoke CIDRs -> endpoint of that AZ and 0.0.0.0/0 -> internet gateway.',
  check: (model: GwlbModel): Finding[] => {
    const tgw = TgwModel.of(model);
    return tgw.inspectionAttachments().flatMap((attachment) => {
      const spokeCidrs = tgw.spokeAttachments(attachment).flatMap((s) => tgw.vpcCidrs(s).map((cidr) => ({ spoke: s, cidr })));
      const checker = new PathChecker(model, tgw, attachment, spokeCidrs);
      return attachment.subnetIds.flatMap((id) => checker.attachmentSubnet(id));
    });
  },
};

interface SpokeCidr {
  readonly spoke: TgwAttachmentNode;
  readonly cidr: ModelValue;
}

class PathChecker {
  private readonly findings: Finding[] = [];
  private readonly seenEndpointSubnets = new Set<string>();

  constructor(
    private readonly model: GwlbModel, private readonly tgw: TgwModel,
    private readonly attachment: TgwAttachmentNode, private readonly spokeCidrs: readonly SpokeCidr[],
  ) {}

  attachmentSubnet(id: ModelValue): Finding[] {
    this.findings.length = 0;
    const subnet = this.model.lookup(this.model.subnets, id);
    if (!subnet) {
      return [this.warn(undefined, [this.attachment], `Subnet ${describe(id)} of inspection attachment ${nameOf(this.attachment)} is not in the app: its path cannot be checked.`)];
    }
    const az = subnet.availabilityZone;
    const { table, routes, unknown } = subnetRoutes(this.model, subnet);
    const base: Involved[] = [this.attachment, subnet, ...(table ? [table] : [])];
    if (unknown) {
      return [this.warn(az, base, `Cannot check the routes of attachment subnet ${nameOf(subnet)}: ${unknown}.`)];
    }
    const route = defaultRoute(routes);
    const endpoint = route?.target.kind === RouteTargetKind.GWLB_ENDPOINT ? this.model.lookup(this.model.endpoints, route.target.value) : undefined;
    if (!route || !endpoint) {
      this.error(az, route ? [...base, [route, `Properties/${route.target.property}`]] : base,
        `Attachment subnet ${nameOf(subnet)} of inspection attachment ${nameOf(this.attachment)} ${route ? `sends 0.0.0.0/0 to ${describeTarget(this.model, route.target)}` : 'has no 0.0.0.0/0 route'}: traffic arriving from the Transit Gateway in this AZ is not sent to a GWLB endpoint.`,
        `Route 0.0.0.0/0 of ${nameOf(subnet)} to the GWLB endpoint in ${describeAz(az)}.`);
      return [...this.findings];
    }
    const endpointAz = endpointSubnet(this.model, endpoint)?.availabilityZone;
    const same = sameAz(az, endpointAz);
    if (same === false) {
      this.error(az, [...base, [route, 'Properties/VpcEndpointId'], endpoint],
        `Attachment subnet ${nameOf(subnet)} in ${describeAz(az)} sends 0.0.0.0/0 to GWLB endpoint ${nameOf(endpoint)} in ${describeAz(endpointAz)}: flows of this AZ cross AZs (and are billed cross-AZ), and lose their AZ if that zone fails.`,
        `Route 0.0.0.0/0 of ${nameOf(subnet)} to the GWLB endpoint in its own AZ.`);
    } else if (same === undefined) {
      this.findings.push(this.warn(az, [...base, endpoint], `Cannot tell whether attachment subnet ${nameOf(subnet)} and GWLB endpoint ${nameOf(endpoint)} are in the same AZ.`));
    }
    this.endpointSubnet(endpoint, az);
    return [...this.findings];
  }

  private endpointSubnet(endpoint: EndpointNode, az: ModelValue | undefined): void {
    const subnet = endpointSubnet(this.model, endpoint);
    if (!subnet) {
      this.findings.push(this.warn(az, [endpoint], `GWLB endpoint ${nameOf(endpoint)} does not name one subnet of the app: its return path cannot be checked.`));
      return;
    }
    if (this.seenEndpointSubnets.has(subnet.meta.key)) {
      return;
    }
    this.seenEndpointSubnets.add(subnet.meta.key);
    const { table, routes, unknown } = subnetRoutes(this.model, subnet);
    const base: Involved[] = [endpoint, subnet, ...(table ? [table] : [])];
    if (unknown) {
      this.findings.push(this.warn(az, base, `Cannot check the routes of endpoint subnet ${nameOf(subnet)}: ${unknown}.`));
      return;
    }
    for (const { spoke, cidr } of this.spokeCidrs) {
      const choice = routeFor(routes, cidr);
      if (choice.unknown && !choice.route) {
        this.findings.push(this.warn(az, [...base, spoke], `Cannot check the return route of endpoint subnet ${nameOf(subnet)} to spoke ${nameOf(spoke)}: ${choice.unknown}.`));
      } else if (!choice.route || !targetsTransitGateway(choice.route, this.attachment)) {
        this.error(az, choice.route ? [...base, [choice.route, `Properties/${choice.route.target.property}`], spoke] : [...base, spoke],
          `Endpoint subnet ${nameOf(subnet)} sends spoke CIDR ${describe(cidr)} (${nameOf(spoke)}) to ${choice.route ? describeTarget(this.model, choice.route.target) : 'nowhere (no route)'}, not back to the Transit Gateway: inspected traffic for that spoke never reaches it.`,
          `Route ${describe(cidr)} of ${nameOf(subnet)} to Transit Gateway ${describe(this.attachment.transitGatewayId)}.`);
      }
    }
    const egress = defaultRoute(routes);
    if (egress?.target.kind === RouteTargetKind.GWLB_ENDPOINT) {
      this.error(az, [...base, [egress, 'Properties/VpcEndpointId']], `Endpoint subnet ${nameOf(subnet)} sends 0.0.0.0/0 to a GWLB endpoint: inspected egress loops back into inspection.`,
        `Route 0.0.0.0/0 of ${nameOf(subnet)} to the NAT gateway of ${describeAz(subnet.availabilityZone)}, or remove it (no egress).`);
    } else if (egress?.target.kind === RouteTargetKind.NAT_GATEWAY) {
      this.natSubnet(egress.target.value, subnet, [...base, [egress, 'Properties/NatGatewayId']]);
    }
  }

  private natSubnet(natId: ModelValue | undefined, endpointSubnetNode: SubnetNode, base: Involved[]): void {
    const az = endpointSubnetNode.availabilityZone;
    const nat = this.tgw.lookup(this.tgw.natGateways, natId);
    const subnet = nat ? this.model.lookup(this.model.subnets, nat.subnetId) : undefined;
    if (!nat || !subnet) {
      this.findings.push(this.warn(az, base, `The NAT gateway of endpoint subnet ${nameOf(endpointSubnetNode)} (${describe(natId)}) or its subnet is not in the app: the egress path cannot be checked.`));
      return;
    }
    const same = sameAz(az, subnet.availabilityZone);
    if (same === false) {
      this.error(az, [...base, nat, subnet], `Endpoint subnet ${nameOf(endpointSubnetNode)} in ${describeAz(az)} sends 0.0.0.0/0 to NAT gateway ${nameOf(nat)} in ${describeAz(subnet.availabilityZone)}: inspected egress of this AZ leaves through another AZ.`,
        `Route 0.0.0.0/0 of ${nameOf(endpointSubnetNode)} to the NAT gateway of its own AZ.`);
      return;
    }
    const { table, routes, unknown } = subnetRoutes(this.model, subnet);
    const natBase: Involved[] = [nat, subnet, ...(table ? [table] : [])];
    if (unknown) {
      this.findings.push(this.warn(az, natBase, `Cannot check the routes of NAT subnet ${nameOf(subnet)}: ${unknown}.`));
      return;
    }
    for (const { spoke, cidr } of this.spokeCidrs) {
      const choice = routeFor(routes, cidr);
      const endpoint = choice.route?.target.kind === RouteTargetKind.GWLB_ENDPOINT ? this.model.lookup(this.model.endpoints, choice.route.target.value) : undefined;
      const endpointAz = endpoint ? endpointSubnet(this.model, endpoint)?.availabilityZone : undefined;
      if (choice.unknown && !choice.route) {
        this.findings.push(this.warn(az, [...natBase, spoke], `Cannot check the return route of NAT subnet ${nameOf(subnet)} to spoke ${nameOf(spoke)}: ${choice.unknown}.`));
      } else if (!endpoint || sameAz(subnet.availabilityZone, endpointAz) === false) {
        this.error(az, choice.route ? [...natBase, [choice.route, `Properties/${choice.route.target.property}`], spoke] : [...natBase, spoke],
          `NAT subnet ${nameOf(subnet)} sends spoke CIDR ${describe(cidr)} (${nameOf(spoke)}) to ${choice.route ? describeTarget(this.model, choice.route.target) : 'nowhere (no route)'}${endpoint ? ` in ${describeAz(endpointAz)}` : ''}: internet replies for that spoke do not return through the GWLB endpoint of ${describeAz(subnet.availabilityZone)}, so the appliance sees one direction only.`,
          `Route ${describe(cidr)} of ${nameOf(subnet)} to the GWLB endpoint of its own AZ.`);
      }
    }
    const internet = defaultRoute(routes);
    if (internet?.target.kind !== RouteTargetKind.INTERNET_GATEWAY && internet?.target.kind !== RouteTargetKind.UNRESOLVED) {
      this.error(az, internet ? [...natBase, [internet, `Properties/${internet.target.property}`]] : natBase,
        `NAT subnet ${nameOf(subnet)} ${internet ? `sends 0.0.0.0/0 to ${describeTarget(this.model, internet.target)}` : 'has no 0.0.0.0/0 route'}: NAT-ed egress cannot reach the internet gateway.`,
        `Route 0.0.0.0/0 of ${nameOf(subnet)} to the VPC's internet gateway.`);
    }
  }

  private error(az: ModelValue | undefined, resources: Involved[], message: string, fix: string): void {
    this.findings.push(violation(RuleId.TGW_AZ_SYMMETRY, { availabilityZone: az === undefined ? undefined : describeAz(az), resources, message, fix }));
  }

  private warn(az: ModelValue | undefined, resources: Involved[], message: string): Finding {
    return unresolved(UnresolvedRuleId.T, {
      availabilityZone: az === undefined ? undefined : describeAz(az), resources, message,
      fix: 'Define the inspection VPC, its subnets, route tables and spokes in this app (or acknowledge the warning).',
    });
  }
}
