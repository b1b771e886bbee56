import { CliError, DEFAULT_CONFIG, HELP, parseCli } from '../../../lib/agent/cli';

function config(argv: string[]) {
  const r = parseCli(argv);
  if (r.kind !== 'run') throw new Error(`expected run, got ${r.kind}`);
  return r.config;
}

describe('parseCli', () => {
  test('defaults match the contract', () => {
    expect(config([])).toEqual({
      listen: '0.0.0.0', port: 6081, healthPort: 8080, policyFile: undefined, drainSeconds: 0, logLevel: 'info',
      replyMode: 'bound-port', tcpIdleSeconds: 350, udpIdleSeconds: 120, maxFlows: 1_000_000,
      selfProbeIntervalMs: 2000, sendPath: 'auto', workers: 0, io: 'auto',
    });
    expect(DEFAULT_CONFIG.port).toBe(6081);
  });

  test('reads every flag (space and = forms)', () => {
    expect(config([
      '--listen', '10.0.0.5', '--port=7000', '--health-port', '9090', '--policy', '/etc/gwlb-agent/policy.json',
      '--drain-seconds', '30', '--log-level', 'debug', '--reply-mode', 'dgram', '--tcp-idle-seconds', '600',
      '--udp-idle-seconds', '60', '--max-flows', '5000', '--self-probe-interval-ms', '500', '--send-path=dgram',
      '--workers', '3', '--io', 'native',
    ])).toEqual({
      listen: '10.0.0.5', port: 7000, healthPort: 9090, policyFile: '/etc/gwlb-agent/policy.json', drainSeconds: 30,
      logLevel: 'debug', replyMode: 'dgram', tcpIdleSeconds: 600, udpIdleSeconds: 60, maxFlows: 5000,
      selfProbeIntervalMs: 500, sendPath: 'dgram', workers: 3, io: 'native',
    });
  });

  test('accepts the boundaries of each range', () => {
    expect(config(['--port', '1', '--health-port', '65535', '--drain-seconds', '0', '--max-flows', '1']))
      .toMatchObject({ port: 1, healthPort: 65535, drainSeconds: 0, maxFlows: 1 });
    expect(config(['--drain-seconds', '3600', '--tcp-idle-seconds', '86400', '--udp-idle-seconds', '1']))
      .toMatchObject({ drainSeconds: 3600, tcpIdleSeconds: 86400, udpIdleSeconds: 1 });
    expect(config(['--self-probe-interval-ms', '0'])).toMatchObject({ selfProbeIntervalMs: 0 });
    expect(config(['--self-probe-interval-ms', '100'])).toMatchObject({ selfProbeIntervalMs: 100 });
    expect(config(['--self-probe-interval-ms', '60000', '--send-path', 'auto'])).toMatchObject({ selfProbeIntervalMs: 60000, sendPath: 'auto' });
  });

  test('--help wins and is recognised', () => {
    expect(parseCli(['--help'])).toEqual({ kind: 'help' });
    expect(config(['--workers', 'auto']).workers).toBe(0);
    expect(parseCli(['--port', '7000', '--help'])).toEqual({ kind: 'help' });
  });

  test('the help text documents every flag', () => {
    for (const flag of ['--listen', '--port', '--health-port', '--policy', '--drain-seconds', '--log-level', '--reply-mode',
      '--tcp-idle-seconds', '--udp-idle-seconds', '--max-flows', '--self-probe-interval-ms', '--send-path', '--help']) {
      expect(HELP).toMatch(new RegExp(`^  ${flag}\\b`, 'm'));
    }
    expect(HELP).toContain('bound-port');
    expect(HELP).toContain('SIGHUP');
    expect(HELP).toContain('0 turns\n                           it off');
  });

  test.each([
    [['--port', '70000'], '--port: "70000" is not a port (1-65535)'],
    [['--port', '0'], '--port: "0" is not a port (1-65535)'],
    [['--port', '-1'], '--port: a value is required; "-1" looks like a flag (write --port=-1 to pass it as the value)'],
    [['--policy', '--port', '80'], '--policy: a value is required; "--port" looks like a flag (write --policy=--port to pass it as the value)'],
    [['--port=-1'], '--port: "-1" is not a port (1-65535)'],
    [['--port', '80.5'], '--port: "80.5" is not a port (1-65535)'],
    [['--port', '0x50'], '--port: "0x50" is not a port (1-65535)'],
    [['--port', ' 80'], '--port: " 80" is not a port (1-65535)'],
    [['--port='], '--port: "" is not a port (1-65535)'],
    [['--port'], '--port: a value is required'],
    [['--health-port', 'http'], '--health-port: "http" is not a port (1-65535)'],
    [['--health-port', '65536'], '--health-port: "65536" is not a port (1-65535)'],
    [['--listen', 'localhost'], '--listen: "localhost" is not an IPv4 address'],
    [['--listen', '::'], '--listen: "::" is not an IPv4 address'],
    [['--listen', '10.0.0.256'], '--listen: "10.0.0.256" is not an IPv4 address'],
    [['--policy', ''], '--policy: "" is not a file path'],
    [['--drain-seconds', '3601'], '--drain-seconds: "3601" is not a whole number of seconds (0-3600)'],
    [['--drain-seconds', '1.5'], '--drain-seconds: "1.5" is not a whole number of seconds (0-3600)'],
    [['--log-level', 'verbose'], '--log-level: "verbose" is not one of debug, info, warn, error'],
    [['--log-level', 'INFO'], '--log-level: "INFO" is not one of debug, info, warn, error'],
    [['--reply-mode', 'raw'], '--reply-mode: "raw" is not one of bound-port, dgram'],
    [['--tcp-idle-seconds', '0'], '--tcp-idle-seconds: "0" is not a whole number of seconds (1-86400)'],
    [['--udp-idle-seconds', '86401'], '--udp-idle-seconds: "86401" is not a whole number of seconds (1-86400)'],
    [['--max-flows', '1e6'], '--max-flows: "1e6" is not a whole number (1-100000000)'],
    [['--max-flows', '100000001'], '--max-flows: "100000001" is not a whole number (1-100000000)'],
    [['--self-probe-interval-ms', '99'], '--self-probe-interval-ms: "99" is not a whole number of milliseconds (0 or 100-60000)'],
    [['--self-probe-interval-ms', '60001'], '--self-probe-interval-ms: "60001" is not a whole number of milliseconds (0 or 100-60000)'],
    [['--self-probe-interval-ms', '-1'], '--self-probe-interval-ms: a value is required; "-1" looks like a flag (write --self-probe-interval-ms=-1 to pass it as the value)'],
    [['--self-probe-interval-ms=1.5'], '--self-probe-interval-ms: "1.5" is not a whole number of milliseconds (0 or 100-60000)'],
    [['--self-probe-interval-ms', '2s'], '--self-probe-interval-ms: "2s" is not a whole number of milliseconds (0 or 100-60000)'],
    [['--send-path', 'native'], '--send-path: "native" is not one of auto, dgram'],
    [['--io', 'uring'], '--io: "uring" is not one of auto, native, js'],
    [['--workers', '0'], '--workers: "0" is not a whole number or auto (1-1024)'],
    [['--workers', 'all'], '--workers: "all" is not a whole number or auto (1-1024)'],
    [['--workers', '1025'], '--workers: "1025" is not a whole number or auto (1-1024)'],
    [['--bogus', '1'], '--bogus: unknown flag (see --help)'],
    [['-p', '80'], '-p: unknown flag (see --help)'],
    [['6081'], '"6081": unexpected argument (flags take the form --name VALUE)'],
    [['--help=yes'], '--help: takes no value'],
    [['--port', '7000', '--port', '7001'], '--port: given more than once'],
  ])('fails on %j with %s', (argv, message) => {
    expect(() => parseCli(argv)).toThrow(CliError);
    expect(() => parseCli(argv)).toThrow(message);
    try {
      parseCli(argv);
    } catch (err) {
      expect((err as Error).message).toBe(message);
    }
  });
});
