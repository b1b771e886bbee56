/**
 * Reply mode `dgram`: every reply leaves from the listening socket, so the
 * outer UDP source port is the listening port (6081), not the port the GWLB sent
 * from. The destination is the GWLB's address and the listening port. The agent
 * logs a warning about this at startup; every such reply is counted in
 * gwlb_agent_reply_ports_not_kept_total.
 */
import { ReplyContext, Replier, SendTracker } from './reply-common';

export class ListenSocketReplier implements Replier {
  readonly openSockets = 0;

  constructor(private readonly ctx: ReplyContext) {}

  reply(msg: Buffer, address: string, gwlbPort: number, sender: SendTracker): void {
    const ctx = this.ctx;
    if (gwlbPort !== ctx.listenPort) sender.metrics.portsNotKept++;
    sender.sendTo(ctx.main, msg, ctx.listenPort, address);
  }

  sweep(): void {
    // nothing to expire
  }

  close(): void {
    // the listening socket belongs to the data plane
  }
}
