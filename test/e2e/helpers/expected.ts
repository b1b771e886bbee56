/** The target gwlb-sim should pick for a flow, computed from the sim's own hash functions. */
import { Stickiness } from '../../../lib/sim/config';
import { hashString, rendezvous, stickinessKey } from '../../../lib/sim/flow-hash';
import { InnerTuple } from '../../../lib/sim/inner';
import { ADDR } from './lab';

const hex = (a: string): string => a.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('');

/** Inner tuple of a client -> server flow in the lab. */
export function clientTuple(protocol: number, clientPort: number, serverPort: number): InnerTuple {
  return { version: 4, protocol, src: hex(ADDR.client), dst: hex(ADDR.server), srcPort: clientPort, dstPort: serverPort };
}

/** "address:6081" of the agent (among `agents`, all healthy) that a new flow goes to. */
export function expectedTarget(t: InnerTuple, mode: Stickiness, agents: readonly number[]): string {
  const seeds = agents.map((i) => hashString(`${ADDR.agent(i)}:6081`));
  const index = rendezvous(hashString(stickinessKey(t, mode)), agents.map((_, i) => i), seeds);
  return `${ADDR.agent(agents[index])}:6081`;
}

/** The first `count` client ports from `from` whose flow goes to agent `agent`. */
export function portsHashingTo(agent: number, agents: readonly number[], protocol: number, serverPort: number, from: number, count: number): number[] {
  const want = `${ADDR.agent(agent)}:6081`;
  const out: number[] = [];
  for (let p = from; out.length < count; p++) {
    if (expectedTarget(clientTuple(protocol, p, serverPort), Stickiness.FIVE_TUPLE, agents) === want) out.push(p);
  }
  return out;
}
