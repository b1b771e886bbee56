/**
 * SlicedJob: a long job runs in slices, yields to I/O callbacks between them, and stops cleanly.
 * Together with Inspector.sweepFlows(limit) this is how the agent sweeps a mass expiry of flows.
 */
import { Inspector } from '../../../lib/agent/inspector';
import { allowAllPolicy } from '../../../lib/agent/policy';
import { SlicedJob } from '../../../lib/agent/sliced-job';
import { geneve, ipv4, udp } from '../core/builders';

function until(cond: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    let rounds = 0;
    const check = (): void => {
      if (cond()) resolve();
      else if (++rounds > 10_000) reject(new Error('condition never became true'));
      else setImmediate(check);
    };
    check();
  });
}

describe('SlicedJob', () => {
  test('a mass expiry is swept in bounded slices until no idle flow is left', async () => {
    let ms = 0;
    const inspector = new Inspector(allowAllPolicy(), { now: () => ms, otherIdleSeconds: 1, maxFlows: 20_000 });
    for (let i = 0; i < 10_000; i++) {
      const pkt = geneve(ipv4(udp({ sport: 1024 + (i % 50_000), dport: 53 }), { protocol: 17, src: `10.1.${i >> 8}.${i & 255}` }));
      inspector.inspect(pkt, 0, pkt.length);
    }
    expect(inspector.activeFlows()).toBe(10_000);
    ms = 5000;
    const sizes: number[] = [];
    const job = new SlicedJob(() => {
      const before = inspector.activeFlows();
      const more = inspector.sweepFlows(4096);
      sizes.push(before - inspector.activeFlows());
      return more;
    }, (err) => { throw err; });
    job.run();
    expect(sizes).toEqual([4096]); // only the first slice runs synchronously
    expect(job.running).toBe(true);
    await until(() => !job.running);
    expect(sizes).toEqual([4096, 4096, 1808]);
    expect(inspector.activeFlows()).toBe(0);
    expect(inspector.flows.expirations).toBe(10_000);
  });

  test('callbacks that became ready during a slice run before the next slice', async () => {
    const order: string[] = [];
    let left = 3;
    const job = new SlicedJob(() => {
      order.push(`slice ${left}`);
      setImmediate(() => order.push(`io after slice ${left + 1}`)); // queued like a packet callback
      return --left > 0;
    }, (err) => { throw err; });
    job.run();
    await until(() => !job.running);
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['slice 3', 'io after slice 3', 'slice 2', 'io after slice 2', 'slice 1', 'io after slice 1']);
  });

  test('run() during a run does not start a second one; stop() cancels the remaining slices; errors are reported', async () => {
    let calls = 0;
    const job = new SlicedJob(() => ++calls < 100, () => undefined);
    job.run();
    job.run();
    expect(calls).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(2);
    job.stop();
    await new Promise((r) => setTimeout(r, 5));
    expect([calls, job.running]).toEqual([2, false]);
    job.run();
    expect(calls).toBe(2);
    const errors: unknown[] = [];
    const failing = new SlicedJob(() => { throw new Error('boom'); }, (err) => errors.push(err));
    failing.run();
    expect((errors[0] as Error).message).toBe('boom');
    expect(failing.running).toBe(false);
  });
});
