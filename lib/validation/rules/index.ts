import { edgeRouteSameAz } from './r1-edge-route-same-az';
import { returnRouteSymmetry } from './r2-return-route-symmetry';
import { endpointSubnetEgress } from './r3-endpoint-subnet-egress';
import { applianceMultiAz } from './r4-appliance-multi-az';
import { azApplianceCoverage } from './r4-az-appliance-coverage';
import { geneveListener } from './r4-geneve-listener';
import { serviceGwlbArns } from './r4-service-gwlb-arns';
import { appTargetsPrivate } from './r5-app-targets-private';
import { GwlbRule } from './rule';
import { tgwApplianceMode } from './t1-tgw-appliance-mode';
import { tgwAzSymmetry } from './t2-tgw-az-symmetry';
import { tgwSpokeRouteBypass } from './t3-tgw-spoke-route-bypass';
import { tgwTableBypass } from './t4-tgw-table-bypass';

export * from './rule';
export * from './r1-edge-route-same-az';
export * from './r2-return-route-symmetry';
export * from './r3-endpoint-subnet-egress';
export * from './r4-service-gwlb-arns';
export * from './r4-geneve-listener';
export * from './r4-appliance-multi-az';
export * from './r4-az-appliance-coverage';
export * from './r5-app-targets-private';
export * from './t1-tgw-appliance-mode';
export * from './t2-tgw-az-symmetry';
export * from './t3-tgw-spoke-route-bypass';
export * from './t4-tgw-table-bypass';

/** Every rule of the GWLB path validator, in packet-path order. */
export const GWLB_PATH_RULES: readonly GwlbRule[] = [
  edgeRouteSameAz,
  returnRouteSymmetry,
  endpointSubnetEgress,
  serviceGwlbArns,
  geneveListener,
  applianceMultiAz,
  azApplianceCoverage,
  appTargetsPrivate,
  tgwApplianceMode,
  tgwAzSymmetry,
  tgwSpokeRouteBypass,
  tgwTableBypass,
];
