import { isLogLevel, Logger, RateLimiter } from '../../../lib/agent/log';

function capture(level: 'debug' | 'info' | 'warn' | 'error') {
  const lines: string[] = [];
  const log = new Logger(level, (l) => lines.push(l), () => new Date('2024-05-01T12:00:00.000Z'));
  return { log, lines, records: () => lines.map((l) => JSON.parse(l)) };
}

describe('Logger', () => {
  test('writes one JSON object per line with time, level, msg and fields', () => {
    const { log, lines, records } = capture('debug');
    log.info('started', { port: 6081, listen: '0.0.0.0' });
    expect(lines).toEqual(['{"time":"2024-05-01T12:00:00.000Z","level":"info","msg":"started","port":6081,"listen":"0.0.0.0"}\n']);
    log.debug('d');
    log.warn('w');
    log.error('e');
    expect(records().map((r) => r.level)).toEqual(['info', 'debug', 'warn', 'error']);
  });

  test.each([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
  ] as const)('level %s lets through %j', (level, expected) => {
    const { log, records } = capture(level);
    log.debug('x'); log.info('x'); log.warn('x'); log.error('x');
    expect(records().map((r) => r.level)).toEqual(expected);
    expect(log.enabled('debug')).toBe(level === 'debug');
  });

  test('fields cannot overwrite time, level or msg; errors and bigints serialise', () => {
    const { log, records } = capture('info');
    const err = Object.assign(new Error('bind failed'), { code: 'EADDRINUSE' });
    log.warn('w', { level: 'debug', msg: 'other', time: 0, error: err, big: 2n ** 64n });
    expect(records()[0]).toEqual({
      time: '2024-05-01T12:00:00.000Z', level: 'warn', msg: 'w',
      error: { message: 'bind failed', code: 'EADDRINUSE' }, big: '18446744073709551616',
    });
  });

  test('a field that cannot be serialised still yields a line', () => {
    const { log, records } = capture('info');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    log.info('cyclic', { cyclic });
    expect(records()[0]).toMatchObject({ level: 'info', msg: 'cyclic' });
    expect(records()[0].logError).toMatch(/circular/i);
  });

  test('isLogLevel', () => {
    expect(['debug', 'info', 'warn', 'error'].every(isLogLevel)).toBe(true);
    expect(isLogLevel('trace')).toBe(false);
  });
});

describe('RateLimiter', () => {
  test('allows a burst, then refills at the given rate, counting what it refused', () => {
    let now = 0;
    const rl = new RateLimiter({ burst: 3, perSecond: 2, now: () => now });
    expect([rl.take(), rl.take(), rl.take(), rl.take(), rl.take()]).toEqual([true, true, true, false, false]);
    expect(rl.suppressedPending).toBe(2);
    now = 499;
    expect(rl.take()).toBe(false); // 0.998 tokens
    now = 500;
    expect(rl.take()).toBe(true);
    expect(rl.takeSuppressed()).toBe(3);
    expect(rl.takeSuppressed()).toBe(0);
    expect(rl.totalSuppressed).toBe(3);
  });

  test('never stores more than the burst', () => {
    let now = 0;
    const rl = new RateLimiter({ burst: 2, perSecond: 100, now: () => now });
    now = 60_000;
    expect([rl.take(), rl.take(), rl.take()]).toEqual([true, true, false]);
  });
});
