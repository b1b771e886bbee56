import { spawnSync } from 'child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { AgentLogLevel, AgentReplyMode } from '../../lib/patterns';
import { AGENT_PATHS, renderAgentCommandLine, renderAgentSystemdUnit } from '../../lib/patterns/agent-systemd-unit';
import { AGENT_SYSCTL_SETTINGS, renderAgentUserData } from '../../lib/patterns/appliance-user-data';

const baseOptions = {
  nodePackageName: 'nodejs20',
  bundleBucketName: 'assets-bucket',
  bundleObjectKey: 'abc123.js',
  region: 'eu-west-1',
  policyJson: JSON.stringify({ defaultAction: 'allow' }, undefined, 2),
  service: { healthPort: 8080, drainSeconds: 300 },
};

/** The lines of a unit file's [Service] section as key=value pairs. */
function serviceDirectives(unit: string): Map<string, string> {
  const section = unit.split('[Service]')[1].split('[Install]')[0];
  const out = new Map<string, string>();
  for (const line of section.split('\n').filter((l) => l.includes('='))) {
    const i = line.indexOf('=');
    out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

describe('renderAgentUserData', () => {
  test('matches the snapshot', () => {
    expect(renderAgentUserData(baseOptions).join('\n')).toMatchSnapshot();
  });

  test('installs Node.js, downloads the bundle, then writes files and starts the service, in that order', () => {
    const script = renderAgentUserData(baseOptions).join('\n');
    const order = [
      'set -euo pipefail',
      'dnf install -y nodejs20',
      'aws s3 cp --only-show-errors --region eu-west-1 s3://assets-bucket/abc123.js /opt/gwlb-agent/gwlb-agent.js',
      'ln -sf /opt/gwlb-agent/gwlb-agent.js /usr/local/bin/gwlb-agent',
      "cat > /etc/gwlb-agent/policy.json <<'GWLB_AGENT_POLICY'",
      'sysctl -p /etc/sysctl.d/90-gwlb-agent.conf',
      "cat > /etc/systemd/system/gwlb-agent.service <<'GWLB_AGENT_UNIT'",
      'systemctl daemon-reload',
      'systemctl enable --now gwlb-agent.service',
    ].map((s) => script.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test('writes the policy verbatim between quoted here-document markers', () => {
    const policyJson = JSON.stringify({ defaultAction: 'drop', rules: [{ action: 'allow', payloadContains: '$HOME `x`' }] }, undefined, 2);
    const lines = renderAgentUserData({ ...baseOptions, policyJson });
    const start = lines.indexOf("cat > /etc/gwlb-agent/policy.json <<'GWLB_AGENT_POLICY'");
    expect(lines[start + 1]).toBe(policyJson);
    expect(lines[start + 2]).toBe('GWLB_AGENT_POLICY');
  });

  test('writes every socket buffer setting, raising rmem_max and wmem_max', () => {
    const script = renderAgentUserData(baseOptions).join('\n');
    expect(AGENT_SYSCTL_SETTINGS['net.core.rmem_max']).toBe('67108864');
    expect(AGENT_SYSCTL_SETTINGS['net.core.wmem_max']).toBe('67108864');
    for (const [key, value] of Object.entries(AGENT_SYSCTL_SETTINGS)) {
      expect(script).toContain(`${key} = ${value}`);
    }
  });

  test('uses the Node.js package given and appends additional commands at the end', () => {
    const lines = renderAgentUserData({ ...baseOptions, nodePackageName: 'nodejs22', additionalCommands: ['echo one', 'echo two'] });
    expect(lines).toContain('dnf install -y nodejs22');
    expect(lines.slice(-2)).toEqual(['echo one', 'echo two']);
  });

  test('the script is valid bash', () => {
    const script = ['#!/bin/bash', ...renderAgentUserData(baseOptions)].join('\n');
    const result = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  test('fails when file content would end the here-document early', () => {
    expect(() => renderAgentUserData({ ...baseOptions, policyJson: '{\nGWLB_AGENT_POLICY\n}' }))
      .toThrow(/contains the line 'GWLB_AGENT_POLICY'/);
  });
});

describe('agent systemd unit', () => {
  test('runs gwlb-agent with the contract flags', () => {
    expect(renderAgentCommandLine({ healthPort: 8080, drainSeconds: 300 })).toBe(
      '/usr/local/bin/gwlb-agent --listen 0.0.0.0 --port 6081 --health-port 8080 --policy /etc/gwlb-agent/policy.json '
      + '--drain-seconds 300 --reply-mode bound-port --log-level info');
  });

  test('runs the bundle with a given Node.js executable instead of the shebang', () => {
    expect(renderAgentCommandLine({ healthPort: 8080, drainSeconds: 0, nodeExecutable: '/usr/bin/node-24' }))
      .toMatch(/^\/usr\/bin\/node-24 \/opt\/gwlb-agent\/gwlb-agent\.js --listen 0\.0\.0\.0 /);
  });

  test('passes health port, drain seconds, reply mode, log level and TCP idle timeout through', () => {
    const line = renderAgentCommandLine({
      healthPort: 9000, drainSeconds: 45, replyMode: AgentReplyMode.DGRAM, logLevel: AgentLogLevel.DEBUG, tcpIdleSeconds: 600,
    });
    expect(line).toContain('--health-port 9000');
    expect(line).toContain('--drain-seconds 45');
    expect(line).toContain('--reply-mode dgram');
    expect(line).toContain('--log-level debug');
    expect(line).toMatch(/--tcp-idle-seconds 600$/);
    expect(renderAgentCommandLine({ healthPort: 1, drainSeconds: 0 })).not.toContain('--tcp-idle-seconds');
  });

  test('is hardened: no capabilities, no privilege gain, read-only system, only IP and unix sockets', () => {
    const d = serviceDirectives(renderAgentSystemdUnit({ healthPort: 8080, drainSeconds: 300 }));
    expect(d.get('ExecStart')).toBe(renderAgentCommandLine({ healthPort: 8080, drainSeconds: 300 }));
    expect(d.get('DynamicUser')).toBe('yes');
    expect(d.get('NoNewPrivileges')).toBe('yes');
    expect(d.get('ProtectSystem')).toBe('strict');
    expect(d.get('ProtectHome')).toBe('yes');
    expect(d.get('PrivateTmp')).toBe('yes');
    expect(d.get('CapabilityBoundingSet')).toBe('');
    expect(d.get('AmbientCapabilities')).toBe('');
    expect(d.get('RestrictAddressFamilies')).toBe('AF_INET AF_INET6 AF_UNIX');
    expect(d.get('Restart')).toBe('on-failure');
    expect(d.get('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(Number(d.get('LimitNOFILE'))).toBeGreaterThanOrEqual(65536);
    expect(d.has('MemoryDenyWriteExecute')).toBe(false); // the V8 JIT needs it off
  });

  test('gives the agent its drain time on stop before systemd kills it', () => {
    const d = serviceDirectives(renderAgentSystemdUnit({ healthPort: 8080, drainSeconds: 120 }));
    expect(Number(d.get('TimeoutStopSec'))).toBeGreaterThan(120);
    expect(d.get('KillSignal')).toBe('SIGTERM');
  });

  test('starts after the network is online and at boot', () => {
    const unit = renderAgentSystemdUnit({ healthPort: 8080, drainSeconds: 0 });
    expect(unit).toContain('After=network-online.target');
    expect(unit).toContain('Wants=network-online.target');
    expect(unit).toMatch(/\[Install\]\nWantedBy=multi-user\.target\n$/);
  });

  test('systemd-analyze verify accepts every directive of the unit', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gwlb-unit-'));
    try {
      // verify checks that ExecStart exists: point it at a stand-in executable.
      const standIn = path.join(dir, 'gwlb-agent');
      writeFileSync(standIn, '#!/bin/sh\n');
      chmodSync(standIn, 0o755);
      const unit = renderAgentSystemdUnit({ healthPort: 8080, drainSeconds: 300 }).replace(AGENT_PATHS.command, standIn);
      const file = path.join(dir, 'gwlb-agent.service');
      writeFileSync(file, unit);
      const result = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
      expect(result.error).toBeUndefined(); // fails (not skips) when systemd-analyze is missing
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
