import { Worker } from 'node:worker_threads';
import { FlowTable } from '../../../lib/agent/flow-table';
import { PROBE_LIMIT, SharedBlockTable } from '../../../lib/agent/shared-blocks';

const TCP = 6;
const UDP = 17;

function addr4(n: number): Uint32Array {
  const a = new Uint32Array(4);
  a[0] = n;
  return a;
}
const A = addr4(0x0a000001);
const B = addr4(0x0a000002);

function shared(capacity = 64): SharedBlockTable {
  return SharedBlockTable.create({ capacity, tcpIdleMs: 350_000, otherIdleMs: 120_000, seed: 99 });
}

/** A worker's flow table over the shared blocks; each worker has its own hash seed. */
function worker(s: SharedBlockTable, seed: number): FlowTable {
  return new FlowTable({ maxFlows: 100, tcpIdleMs: 350_000, otherIdleMs: 120_000, seed, shared: s });
}

function key(words: number[]): Uint32Array {
  const k = new Uint32Array(11);
  k.set(words);
  return k;
}

describe('FlowTable with shared blocks (several workers)', () => {
  test('a block in one worker stops the flow in another that already forwarded it, in both directions', () => {
    const s = shared();
    const w1 = worker(s, 1);
    const w2 = worker(s, 2);
    const a2 = w2.observe(7, 4, TCP, A, B, 1000, 80, 60, 1000);
    expect(w2.isBlocked(a2)).toBe(false); // forwarded by worker 2 before the block
    const a1 = w1.observe(7, 4, TCP, B, A, 80, 1000, 60, 1100); // reply direction on worker 1
    w1.block(a1);
    expect(w1.isBlocked(a1)).toBe(true);
    expect(w2.isBlocked(w2.observe(7, 4, TCP, A, B, 1000, 80, 60, 1200))).toBe(true);
    expect(w2.isBlocked(w2.observe(7, 4, TCP, B, A, 80, 1000, 60, 1300))).toBe(true);
    // Another flow (new cookie, same 5-tuple) is not blocked.
    expect(w2.isBlocked(w2.observe(8, 4, TCP, A, B, 1000, 80, 60, 1300))).toBe(false);
  });

  test('a restarted worker (an empty flow table) still drops a flow blocked before it started', () => {
    const s = shared();
    const w1 = worker(s, 1);
    w1.block(w1.observe(7, 4, UDP, A, B, 53, 5353, 60, 0));
    const restarted = worker(s, 3);
    expect(restarted.isBlocked(restarted.observe(7, 4, UDP, B, A, 5353, 53, 60, 500))).toBe(true);
  });

  test('blocked packets keep the shared block alive; it ends after the idle timeout without packets', () => {
    const s = shared();
    const w1 = worker(s, 1);
    const w2 = worker(s, 2);
    w1.block(w1.observe(7, 4, UDP, A, B, 53, 5353, 60, 0));
    // Worker 1 keeps seeing the flow for 200 s (idle timeout 120 s): the block must not lapse.
    for (let t = 10_000; t <= 200_000; t += 10_000) expect(w1.isBlocked(w1.observe(7, 4, UDP, A, B, 53, 5353, 60, t))).toBe(true);
    expect(w2.isBlocked(w2.observe(7, 4, UDP, A, B, 53, 5353, 60, 210_000))).toBe(true);
    // Then silence for the idle timeout: a new flow on the same tuple and cookie starts unblocked.
    const w3 = worker(s, 3);
    expect(w3.isBlocked(w3.observe(7, 4, UDP, A, B, 53, 5353, 60, 210_000 + 120_000))).toBe(false);
    expect(s.sweep(Math.floor((210_000 + 120_000) / 100))).toBe(1);
    expect(s.count).toBe(0);
  });

  test('the generation changes with every block, so workers only look a flow up after a new block', () => {
    const s = shared();
    const g0 = s.generation;
    const w1 = worker(s, 1);
    w1.block(w1.observe(1, 4, UDP, A, B, 1, 2, 60, 0));
    expect(s.generation).not.toBe(g0);
    expect(s.generation).not.toBe(0);
  });
});

describe('SharedBlockTable', () => {
  test('is bounded: a full probe window replaces its least recently seen entry and counts it', () => {
    const s = shared(1); // PROBE_LIMIT slots
    expect(s.slots).toBe(PROBE_LIMIT);
    for (let i = 0; i < PROBE_LIMIT; i++) s.block(key([i, (4 << 8) | UDP]), 0, i);
    expect(s.count).toBe(PROBE_LIMIT);
    expect(s.evictions).toBe(0);
    s.block(key([1000, (4 << 8) | UDP]), 0, 100);
    expect(s.count).toBe(PROBE_LIMIT);
    expect(s.evictions).toBe(1);
    expect(s.find(key([0, (4 << 8) | UDP]), 0, 100)).toBe(-1); // the oldest (seen at tick 0) went
    expect(s.find(key([1000, (4 << 8) | UDP]), 0, 100)).toBeGreaterThanOrEqual(0);
    expect(s.find(key([1, (4 << 8) | UDP]), 0, 100)).toBeGreaterThanOrEqual(0);
  });

  test('TCP blocks last the TCP idle timeout, others the other one', () => {
    const s = shared();
    const tcp = key([1, (4 << 8) | TCP]);
    const udp = key([1, (4 << 8) | UDP]);
    s.block(tcp, 0, 0);
    s.block(udp, 0, 0);
    expect(s.find(udp, 0, 1199)).toBeGreaterThanOrEqual(0);
    expect(s.find(udp, 0, 1200)).toBe(-1);
    expect(s.find(tcp, 0, 3499)).toBeGreaterThanOrEqual(0);
    expect(s.find(tcp, 0, 3500)).toBe(-1);
  });

  test('fails to attach to a buffer that is not a table', () => {
    expect(() => new SharedBlockTable({ buffer: new SharedArrayBuffer(100), tcpIdleMs: 1, otherIdleMs: 1, seed: 0 }))
      .toThrow(/buffer: 100 bytes is not a shared block table/);
    expect(() => SharedBlockTable.create({ capacity: 0, tcpIdleMs: 1, otherIdleMs: 1, seed: 0 })).toThrow(/capacity: 0/);
  });

  test('threads blocking distinct flows at once lose none of them', async () => {
    const s = SharedBlockTable.create({ capacity: 4096, tcpIdleMs: 350_000, otherIdleMs: 120_000, seed: 5 });
    // Each thread loads the TypeScript module through ts-node and attaches to the same buffer.
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      require('ts-node').register({ transpileOnly: true });
      const { SharedBlockTable } = require(workerData.module);
      const t = new SharedBlockTable(workerData.init);
      const k = new Uint32Array(11);
      for (let i = 0; i < 1000; i++) { k[0] = workerData.id * 100000 + i; k[1] = (4 << 8) | 17; t.block(k, 0, 1); }
      parentPort.postMessage('done');`;
    const module = require.resolve('../../../lib/agent/shared-blocks');
    await Promise.all([1, 2, 3].map((id) => new Promise<void>((resolve, reject) => {
      const w = new Worker(code, { eval: true, workerData: { id, init: s.init, module } });
      w.once('message', () => resolve());
      w.once('error', reject);
    })));
    expect(s.count).toBe(3000);
    const k = new Uint32Array(11);
    let found = 0;
    for (const id of [1, 2, 3]) {
      for (let i = 0; i < 1000; i++) {
        k[0] = id * 100000 + i;
        k[1] = (4 << 8) | 17;
        if (s.find(k, 0, 2) >= 0) found++;
      }
    }
    expect(found).toBe(3000);
  }, 30000);
});
