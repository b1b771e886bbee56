import { GwlbModel } from './model';
import { EndpointNode, SubnetNode, ModelValue } from './model-types';
import { isUnresolved } from './resolve';
import { describeValue, hasToken, parseAzToken } from './tokens';

/**
 * Whether two resolved AZ values name the same Availability Zone:
 * literal names compare literally, `Fn::Select [i, Fn::GetAZs r]` compares by region and index,
 * and anything else (a literal against a symbolic AZ, an unresolved value) is `undefined`.
 */
export function sameAz(a: ModelValue | undefined, b: ModelValue | undefined): boolean | undefined {
  if (typeof a !== 'string' || typeof b !== 'string') {
    return undefined;
  }
  if (a === b) {
    return true;
  }
  if (!hasToken(a) && !hasToken(b)) {
    return false;
  }
  const x = parseAzToken(a);
  const y = parseAzToken(b);
  if (x && y && x.region === y.region) {
    return false; // same region, different index
  }
  if (x && y && x.region !== 'AWS::Region' && y.region !== 'AWS::Region') {
    return false; // two known, different regions
  }
  return undefined;
}

export function describeAz(az: ModelValue | undefined): string {
  if (az === undefined) {
    return 'unknown AZ';
  }
  return isUnresolved(az) ? `unknown AZ (${az.reason})` : describeValue(az);
}

/** The single subnet of a GWLB endpoint, if it is a subnet of the app. */
export function endpointSubnet(model: GwlbModel, endpoint: EndpointNode): SubnetNode | undefined {
  return endpoint.subnetIds.length === 1 ? model.lookup(model.subnets, endpoint.subnetIds[0]) : undefined;
}

export function endpointAz(model: GwlbModel, endpoint: EndpointNode): ModelValue | undefined {
  return endpointSubnet(model, endpoint)?.availabilityZone;
}
