import { AddressInfo } from 'node:net';
import {
  DEFAULT_HEALTH_LIMITS, evaluateHealth, HealthInputs, HealthSource, LagMonitor, SendWindow, startHealthServer,
} from '../../../lib/agent/health';
import { httpGet } from './harness';

const HEALTHY: HealthInputs = {
  draining: false,
  dataSocketBound: true,
  replySocketsOpen: true,
  recentSendErrors: 0,
  recentSendOk: 100,
  eventLoopLagMs: 3,
};

describe('evaluateHealth', () => {
  test('healthy when every condition holds', () => {
    expect(evaluateHealth(HEALTHY)).toEqual({ healthy: true, reasons: [] });
  });

  test.each<[string, Partial<HealthInputs>, string]>([
    ['draining', { draining: true }, 'draining'],
    ['the data socket is not bound', { dataSocketBound: false }, 'data socket not bound'],
    ['the reply socket is closed', { replySocketsOpen: false }, 'reply socket closed'],
    ['sends only fail', { recentSendErrors: 10, recentSendOk: 0 }, 'reply path failing: 10 send errors and no successful send recently'],
    ['the event loop stalls', { eventLoopLagMs: 1500 }, 'event loop stalled: lag 1500 ms > 1000 ms'],
    ['the self-probe fails', { selfProbeFailure: 'data path self-probe failed: x' }, 'data path self-probe failed: x'],
  ])('unhealthy when %s', (_name, change, reason) => {
    const v = evaluateHealth({ ...HEALTHY, ...change });
    expect(v.healthy).toBe(false);
    expect(v.reasons).toEqual([reason]);
  });

  test('no self-probe failure (null) stays healthy', () => {
    expect(evaluateHealth({ ...HEALTHY, selfProbeFailure: null })).toEqual({ healthy: true, reasons: [] });
  });

  test('send errors mixed with successes, or below the threshold, stay healthy', () => {
    expect(evaluateHealth({ ...HEALTHY, recentSendErrors: 500, recentSendOk: 1 }).healthy).toBe(true);
    expect(evaluateHealth({ ...HEALTHY, recentSendErrors: 9, recentSendOk: 0 }).healthy).toBe(true);
    expect(evaluateHealth({ ...HEALTHY, eventLoopLagMs: DEFAULT_HEALTH_LIMITS.maxLagMs }).healthy).toBe(true);
  });

  test('reports every failing condition', () => {
    const v = evaluateHealth({ ...HEALTHY, draining: true, dataSocketBound: false, eventLoopLagMs: 5000 });
    expect(v.reasons).toEqual(['draining', 'data socket not bound', 'event loop stalled: lag 5000 ms > 1000 ms']);
  });

  test('limits are configurable', () => {
    expect(evaluateHealth({ ...HEALTHY, eventLoopLagMs: 300 }, { maxLagMs: 200, sendErrorThreshold: 1 }).healthy).toBe(false);
    expect(evaluateHealth({ ...HEALTHY, recentSendErrors: 1, recentSendOk: 0 }, { maxLagMs: 200, sendErrorThreshold: 1 }).healthy)
      .toBe(false);
  });
});

describe('LagMonitor', () => {
  test('measures how late each tick ran and keeps the largest in the window', () => {
    let now = 0;
    const m = new LagMonitor(250, 1000, () => now); // 4 samples
    now = 250; m.tick();
    expect(m.currentLagMs()).toBe(0);
    now = 250 + 250 + 1200; m.tick(); // 1200 ms late
    expect(m.currentLagMs()).toBe(1200);
    for (let i = 0; i < 3; i++) { now += 250; m.tick(); }
    expect(m.currentLagMs()).toBe(1200); // still in the 4-sample window
    now += 250; m.tick();
    expect(m.currentLagMs()).toBe(0); // aged out
  });

  test('counts a tick that is overdue right now (loop blocked at request time)', () => {
    let now = 0;
    const m = new LagMonitor(250, 1000, () => now);
    now = 250; m.tick();
    now = 250 + 250 + 2000;
    expect(m.currentLagMs()).toBe(2000);
  });
});

describe('SendWindow', () => {
  test('reports the change of the counters across the window', () => {
    const w = new SendWindow(3);
    expect(w.recent()).toEqual({ ok: 0, errors: 0 });
    w.sample(100, 0);
    w.sample(150, 5);
    expect(w.recent()).toEqual({ ok: 50, errors: 5 });
    w.sample(150, 20);
    w.sample(150, 40);
    expect(w.recent()).toEqual({ ok: 50, errors: 40 }); // 4 samples = 3 intervals
    w.sample(150, 60);
    expect(w.recent()).toEqual({ ok: 0, errors: 55 }); // the successes left the window
  });
});

describe('health HTTP server', () => {
  test('answers /healthz with 200 or 503 and the reasons, /metrics as Prometheus text, 404 otherwise', async () => {
    let verdict = { healthy: true, reasons: [] as string[] };
    const source: HealthSource = { health: () => verdict, metricsText: () => 'x_total 1\n' };
    const server = await startHealthServer(source, '127.0.0.1', 0);
    const port = (server.address() as AddressInfo).port;
    try {
      expect(await httpGet(port, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
      verdict = { healthy: false, reasons: ['draining', 'data socket not bound'] };
      expect(await httpGet(port, '/healthz')).toMatchObject({ status: 503, body: 'unhealthy: draining; data socket not bound\n' });
      expect(await httpGet(port, '/healthz?verbose=1')).toMatchObject({ status: 503 });
      const metrics = await httpGet(port, '/metrics');
      expect(metrics).toMatchObject({ status: 200, body: 'x_total 1\n' });
      expect(metrics.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect((await httpGet(port, '/')).status).toBe(404);
      expect((await httpGet(port, '/metricsx')).status).toBe(404);
    } finally {
      server.close();
    }
  });

  test('fails to start on a port in use, naming the error', async () => {
    const source: HealthSource = { health: () => ({ healthy: true, reasons: [] }), metricsText: () => '' };
    const first = await startHealthServer(source, '127.0.0.1', 0);
    const port = (first.address() as AddressInfo).port;
    try {
      await expect(startHealthServer(source, '127.0.0.1', port)).rejects.toThrow(/EADDRINUSE/);
    } finally {
      first.close();
    }
  });
});
