/** Counters of gwlb-sim, exposed on /status and /metrics. */

/** Ways a returned packet can differ from what GWLB expects back. */
export enum Violation {
  /** Not a GENEVE packet with the three AWS options. */
  MALFORMED = 'malformed',
  /** Flow cookie of no flow the sim sent (GWLB only takes back flows it sent). */
  UNKNOWN_FLOW = 'unknown_flow',
  /** GENEVE header or options differ from the ones sent for the flow. */
  HEADER_MISMATCH = 'header_mismatch',
  /** Inner packet matches no packet in flight for the flow (changed, duplicated or invented). */
  INNER_MISMATCH = 'inner_mismatch',
  /** Outer source address is not the flow's target. */
  WRONG_SOURCE_ADDRESS = 'wrong_source_address',
  /** Outer source port is not the port the sim sent the flow from. */
  WRONG_SOURCE_PORT = 'wrong_source_port',
  /** Outer destination port is not the GENEVE port (6081). */
  WRONG_DESTINATION_PORT = 'wrong_destination_port',
}

export const ALL_VIOLATIONS: readonly Violation[] = Object.values(Violation);

export class SimCounters {
  /** Packets read from the tun device. */
  tunPackets = 0;
  tunBytes = 0;
  /** Tun packets that were not IPv4/IPv6 (dropped). */
  innerUnparsed = 0;
  /** Tun packets to or from multicast/broadcast/link-local addresses, never routed to a GWLB (dropped). */
  linkScoped = 0;
  /** GENEVE datagrams sent to targets. */
  encapSent = 0;
  sendErrors = 0;
  /** Datagrams received back from targets. */
  returned = 0;
  /** Inner packets written back to the tun device. */
  delivered = 0;
  deliveredBytes = 0;
  tunWriteErrors = 0;
  /** Returned packets dropped: malformed or unknown flow, or any violation with --strict. */
  returnDropped = 0;
  flowsRebalanced = 0;
  readonly violations = new Map<Violation, number>(ALL_VIOLATIONS.map((v) => [v, 0]));

  violation(v: Violation): void {
    this.violations.set(v, (this.violations.get(v) ?? 0) + 1);
  }

  violationTotal(): number {
    let n = 0;
    for (const c of this.violations.values()) n += c;
    return n;
  }
}
