/**
 * The commands of the default application instance user data (without the `#!/bin/bash` line):
 * install nginx from the Amazon Linux 2023 repositories and serve a page that names the
 * instance's availability zone, so the per-zone path through the inspection is visible.
 * Instance metadata is read with an IMDSv2 token.
 */
export function renderWebServerUserData(options: WebServerUserDataOptions = {}): string[] {
  const wait = options.healthyWithinSeconds;
  return [
    'set -euo pipefail',
    ...(wait === undefined ? [] : ['dnf install -y aws-cfn-bootstrap']),
    'dnf install -y nginx',
    'IMDS_TOKEN=$(curl -sS -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 300")',
    'AZ=$(curl -sS -H "X-aws-ec2-metadata-token: $IMDS_TOKEN" http://169.254.169.254/latest/meta-data/placement/availability-zone)',
    // The packaged index.html may be a symbolic link into a test-page package; replace it, not its target.
    'rm -f /usr/share/nginx/html/index.html',
    'cat > /usr/share/nginx/html/index.html <<EOF',
    '<!doctype html>',
    '<html><head><title>Inspected application</title></head>',
    '<body><h1>Hello from ${AZ}</h1><p>This request crossed the Gateway Load Balancer inspection appliances.</p></body></html>',
    'EOF',
    'systemctl enable --now nginx',
    ...(wait === undefined ? [] : [
      '# Fail fast: succeed only once nginx serves the health-check path',
      `timeout ${wait} bash -c 'until curl -fsS -o /dev/null --max-time 2 http://127.0.0.1/; do sleep 2; done'`,
    ]),
  ];
}

/** Options of {@link renderWebServerUserData}. */
export interface WebServerUserDataOptions {
  /**
   * Install cfn-signal (aws-cfn-bootstrap) and fail the script unless nginx serves `/` within this
   * many seconds, so a signal on exit reports whether the server works.
   * @default - no wait
   */
  readonly healthyWithinSeconds?: number;
}
