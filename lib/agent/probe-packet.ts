/**
 * Telling the self-probe's packets apart (dataplane.ts and the native batch path,
 * batch-dataplane.ts): what the data plane needs from the probe, and the checks on a datagram.
 */
import { u16, u32 } from './bytes';
import {
  AWS_ENI_ID_DATA, AWS_OPTION_CLASS, AWS_OPTION_ENI_ID, GENEVE_BASE_LENGTH, GENEVE_OPTION_HEADER_LENGTH, OPT_LENGTH_MASK,
  OPT_OFF_CLASS, OPT_OFF_LENGTH, OPT_OFF_TYPE,
} from './geneve-format';
import { isLoopbackIPv4 } from './reply-common';

/** What the data plane needs from the self-probe (implemented by SelfProbe). */
export interface ProbeEndpoint {
  /** The random 64-bit ENI id the probe writes into its packets, as two u32 halves. */
  readonly eniIdHigh: number;
  readonly eniIdLow: number;
  /** True for the (address, port) the probe sends its requests from. */
  isRequestSource(address: string, port: number): boolean;
  /**
   * A probe datagram from elsewhere: the reply itself, when it comes back to the listening
   * socket (with --listen 0.0.0.0 the listening socket owns every address's port).
   */
  onReply(msg: Buffer, address: string, port: number): void;
  /** The agent dropped a probe request for `reason` (a DropReason code). */
  onDropped(reason: number): void;
}

/**
 * True when the self-probe's packet may bypass the policy verdict: outer source in 127/8 AND
 * ENI id equal to the probe's startup nonce. A GWLB never sends from 127/8 (and the kernel
 * drops 127/8 sources arriving on a real interface as martians), so nothing from the network
 * qualifies; a local process would have to guess 64 random bits. Only policy verdicts are
 * waived: the probe is decoded and inspected like any packet, other drop reasons still drop it.
 */
export function isProbeSource(address: string, eniIdHigh: number, eniIdLow: number, probe: ProbeEndpoint): boolean {
  return isLoopbackIPv4(address) && eniIdHigh === probe.eniIdHigh && eniIdLow === probe.eniIdLow;
}

/**
 * True when the first GENEVE option of the datagram at `offset` (`length` bytes) is where GWLB (and the probe) put it, an AWS ENI id option
 * (class 0x0108, type 0x01, 8 data bytes), and holds another ENI id than the probe's. Then the
 * packet is not the probe's: decodeInto would either read that ENI id or fail (a repeated or
 * overrunning option). False means "decode to find out".
 */
export function isOtherEniAtUsualPlace(msg: Buffer, probe: ProbeEndpoint, offset = 0, length = msg.length): boolean {
  const opt = offset + GENEVE_BASE_LENGTH;
  const data = opt + GENEVE_OPTION_HEADER_LENGTH;
  if (length < GENEVE_BASE_LENGTH + GENEVE_OPTION_HEADER_LENGTH + AWS_ENI_ID_DATA) return false;
  if (u16(msg, opt + OPT_OFF_CLASS) !== AWS_OPTION_CLASS) return false;
  if (msg[opt + OPT_OFF_TYPE] !== AWS_OPTION_ENI_ID || (msg[opt + OPT_OFF_LENGTH] & OPT_LENGTH_MASK) * 4 !== AWS_ENI_ID_DATA) return false;
  return u32(msg, data) !== probe.eniIdHigh || u32(msg, data + 4) !== probe.eniIdLow;
}
