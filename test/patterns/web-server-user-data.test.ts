import { spawnSync } from 'child_process';
import { renderWebServerUserData } from '../../lib/patterns/web-server-user-data';

describe('renderWebServerUserData', () => {
  const lines = renderWebServerUserData();

  test('replaces the packaged index page (possibly a symbolic link) before writing its own', () => {
    const rm = lines.indexOf('rm -f /usr/share/nginx/html/index.html');
    const write = lines.indexOf('cat > /usr/share/nginx/html/index.html <<EOF');
    expect(rm).toBeGreaterThan(-1);
    expect(write).toBe(rm + 1);
    expect(lines.indexOf('dnf install -y nginx')).toBeLessThan(rm);
  });

  test('reads the zone with an IMDSv2 token and starts nginx last', () => {
    expect(lines.join('\n')).toMatch(/api\/token[\s\S]*X-aws-ec2-metadata-token: \$IMDS_TOKEN[\s\S]*placement\/availability-zone/);
    expect(lines[lines.length - 1]).toBe('systemctl enable --now nginx');
  });

  test('is valid bash', () => {
    const result = spawnSync('bash', ['-n'], { input: ['#!/bin/bash', ...lines].join('\n') });
    expect(result.stderr.toString()).toBe('');
    expect(result.status).toBe(0);
  });
});
