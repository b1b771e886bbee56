/** Where inspected traffic of the spokes leaves for the internet. */
export enum CentralizedEgress {
  /**
   * NAT gateways in the inspection VPC, one per availability zone: spokes reach the internet
   * only through inspection and a NAT gateway of the same zone.
   */
  NAT_GATEWAYS = 'NAT_GATEWAYS',
  /** No internet egress: the inspection VPC has no internet gateway and inspects east-west traffic only. */
  NONE = 'NONE',
}

/** How traffic between spokes travels. */
export enum EastWestTraffic {
  /**
   * Through inspection: spokes are not propagated into the spokes' route table, so the only
   * route from one spoke to another is the default route to the inspection VPC.
   */
  INSPECTED = 'INSPECTED',
  /**
   * Directly, uninspected: every spoke is also propagated into the spokes' route table, so
   * spoke-to-spoke traffic takes the more specific propagated route and skips the appliances.
   * Reported at synth as a warning on each propagation.
   */
  DIRECT_UNINSPECTED = 'DIRECT_UNINSPECTED',
}
