/**
 * The packet path's cached clock: whole milliseconds from its source, refreshed by an unref'd
 * timer, never going backwards.
 */
import { CoarseClock, DEFAULT_CLOCK_RESOLUTION_MS } from '../../../lib/agent/coarse-clock';

describe('CoarseClock', () => {
  afterEach(() => jest.useRealTimers());

  test('reads whole milliseconds from its source at construction and on refresh', () => {
    let t = 1234.9;
    const clock = new CoarseClock(100, () => t);
    expect(clock.now()).toBe(1234);
    t = 5000.2;
    expect(clock.now()).toBe(1234); // cached until refreshed
    clock.refresh();
    expect(clock.now()).toBe(5000);
  });

  test('never goes backwards', () => {
    let t = 900;
    const clock = new CoarseClock(100, () => t);
    t = 800;
    clock.refresh();
    expect(clock.now()).toBe(900);
  });

  test('now works unbound (it is handed to the inspector as a callback)', () => {
    const { now } = new CoarseClock(100, () => 42);
    expect(now()).toBe(42);
  });

  test('start() refreshes every resolutionMs; stop() ends it', () => {
    jest.useFakeTimers();
    let t = 0;
    const clock = new CoarseClock(100, () => t);
    clock.start();
    t = 150;
    jest.advanceTimersByTime(99);
    expect(clock.now()).toBe(0);
    jest.advanceTimersByTime(1);
    expect(clock.now()).toBe(150);
    expect(jest.getTimerCount()).toBe(1);
    clock.stop();
    expect(jest.getTimerCount()).toBe(0);
    t = 400;
    jest.advanceTimersByTime(1000);
    expect(clock.now()).toBe(150);
  });

  test('defaults to a 100 ms resolution on a monotonic source near zero at process start', () => {
    const clock = new CoarseClock();
    expect(clock.resolutionMs).toBe(DEFAULT_CLOCK_RESOLUTION_MS);
    expect(DEFAULT_CLOCK_RESOLUTION_MS).toBe(100);
    expect(Number.isInteger(clock.now())).toBe(true);
    // Near process start, not the epoch. performance.now() and process.uptime() do not share an
    // origin exactly: on a busy machine they were seen 4 ms apart, so compare within a second.
    expect(clock.now()).toBeLessThan(process.uptime() * 1000 + 1000);
  });

  test.each([0, -1, 1.5, NaN])('fails on resolutionMs %p, naming the field', (bad) => {
    expect(() => new CoarseClock(bad)).toThrow(`resolutionMs: ${bad} is not a positive integer`);
  });
});
