/**
 * Domain rules end to end: real TLS and HTTP clients in the client namespace -> gwlb-sim -> the
 * real gwlb-agent bundle with a server-name allowlist -> a TLS/HTTP server in the server namespace
 * whose certificate (for allowed.example, denied.example, bad.example) this test makes with openssl.
 * Clients verify the certificate with their default settings plus the test CA.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { clientHello, cryptoFrame, quicInitial } from '../agent/core/tls-builders';
import { ADDR, FIXTURES, Lab, LabProcess, run } from './helpers/lab';

const POLICY = {
  defaultAction: 'drop',
  rules: [
    { name: 'deny-bad', action: 'drop', serverNames: ['bad.example'] },
    { name: 'allowlist', action: 'allow', serverNames: ['allowed.example', '*.allowed.example', 'example.com'] },
  ],
  serverNameInspection: { tlsPorts: [443, 9443], httpPorts: [80] },
};
const lab = new Lab();
let server: LabProcess;
let ca = '';
const client = (args: string[], timeoutMs = 8000) =>
  lab.exec('client', [process.execPath, path.join(FIXTURES, 'names-client.cjs'), ...args], timeoutMs);
const metric = async (key: string): Promise<number> => (await lab.agentMetrics(1)).get(key) ?? 0;
const resolve = (name: string, port: number) => ['--resolve', `${name}:${port}:${ADDR.server}`];

async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const f = (n: string) => path.join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const steps = [
    ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2', '-subj', '/CN=gwlb e2e CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ['req', ...ec, '-keyout', f('srv.key'), '-out', f('srv.csr'), '-subj', '/CN=allowed.example'],
    ['x509', '-req', '-in', f('srv.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('srv.crt'),
      '-days', '2', '-extfile', f('ext.cnf')],
  ];
  fs.writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:allowed.example,DNS:*.allowed.example,DNS:denied.example,DNS:bad.example\n' +
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  for (const s of steps) {
    const r = await run('openssl', s);
    if (r.code !== 0) throw new Error(`openssl ${s[0]} failed: ${r.stderr}`);
  }
  return { ca: f('ca.crt'), cert: f('srv.crt'), key: f('srv.key') };
}

beforeAll(async () => {
  await lab.up(1);
  const certs = await makeCertificates(lab.dir);
  ca = certs.ca;
  server = lab.startNode('names-server', 'server', path.join(FIXTURES, 'names-server.cjs'), ['--cert', certs.cert, '--key', certs.key]);
  await server.waitForOutput(/names server ready/);
  await lab.startAgent(1, POLICY);
  await lab.startSim([1], ['--strict']);
}, 90000);

afterAll(async () => {
  if (process.env.E2E_LOGS) process.stderr.write(lab.logs() + '\n');
  await lab.down();
}, 30000);

describe('server-name allowlist through gwlb-sim and gwlb-agent', () => {
  test("Node's tls client reaches an allowed name and is cut off for a denied one", async () => {
    const ok = await client(['tls', ADDR.server, '443', 'allowed.example', ca]);
    expect([ok.code, ok.stdout.toString()]).toEqual([0, 'tls hello allowed.example\n']);
    const sub = await client(['tls', ADDR.server, '443', 'www.allowed.example', ca]);
    expect([sub.code, sub.stdout.toString()]).toEqual([0, 'tls hello www.allowed.example\n']); // *.allowed.example
    const denied = await client(['tls', ADDR.server, '443', 'denied.example', ca]);
    expect(denied.code).toBe(3); // the ClientHello and everything after it dropped: the handshake stalls
  });

  test("Node's https client", async () => {
    expect((await client(['https', ADDR.server, 'allowed.example', ca])).stdout.toString()).toBe('tls hello allowed.example\n');
    expect((await client(['https', ADDR.server, 'denied.example', ca])).code).toBe(3);
  });

  test('curl (TLS with its default verification, and HTTP/1.1 by Host)', async () => {
    const curl = (args: string[]) => lab.exec('client', ['curl', '-s', '--max-time', '3', ...args], 10000);
    const ok = await curl(['--cacert', ca, ...resolve('allowed.example', 443), 'https://allowed.example/']);
    expect([ok.code, ok.stdout.toString()]).toEqual([0, 'tls hello allowed.example\n']);
    expect((await curl(['--cacert', ca, ...resolve('denied.example', 443), 'https://denied.example/'])).code).toBe(28);
    const http = await curl([...resolve('api.allowed.example', 80), 'http://api.allowed.example/']);
    expect([http.code, http.stdout.toString()]).toEqual([0, 'http hello api.allowed.example\n']);
    expect((await curl([...resolve('denied.example', 80), 'http://denied.example/'])).code).toBe(28);
  });

  test("Python's ssl with default settings (create_default_context)", async () => {
    const script = [
      'import socket, ssl, sys',
      'ctx = ssl.create_default_context(cafile=sys.argv[2])',
      's = socket.create_connection((sys.argv[3], 443), timeout=3)',
      'try:',
      '    t = ctx.wrap_socket(s, server_hostname=sys.argv[1])',
      '    t.sendall(b"GET / HTTP/1.1\\r\\nHost: " + sys.argv[1].encode() + b"\\r\\nConnection: close\\r\\n\\r\\n")',
      '    print(t.recv(4096).decode().split("\\r\\n\\r\\n", 1)[1], end="")',
      'except socket.timeout:',
      '    sys.exit(3)',
    ].join('\n');
    const py = (name: string) => lab.exec('client', ['python3', '-c', script, name, ca, ADDR.server], 10000);
    const ok = await py('allowed.example');
    expect([ok.code, ok.stdout.toString()]).toEqual([0, 'tls hello allowed.example\n']);
    expect((await py('denied.example')).code).toBe(3);
  });

  test('a ClientHello split over two TCP segments: allowed name completes, denied name is cut off', async () => {
    const ok = await client(['tls', ADDR.server, '443', 'allowed.example', ca, 'split']);
    expect(ok.stderr).toMatch(/split ClientHello of \d+ bytes at \d+/);
    expect([ok.code, ok.stdout.toString()]).toEqual([0, 'tls hello allowed.example\n']);
    const denied = await client(['tls', ADDR.server, '443', 'denied.example', ca, 'split']);
    expect(denied.stderr).toMatch(/split ClientHello/);
    expect(denied.code).toBe(3);
  });

  test('a ClientHello larger than one segment (many ALPN names, as post-quantum key shares make them)', async () => {
    const ok = await client(['tls', ADDR.server, '443', 'allowed.example', ca, 'big']);
    expect([ok.code, ok.stdout.toString()]).toEqual([0, 'tls hello allowed.example\n']);
    expect(Number(/ClientHello of (\d+) bytes in one write/.exec(ok.stderr)?.[1])).toBeGreaterThan(1460); // > one MSS on a 1500-byte MTU
    expect((await client(['tls', ADDR.server, '443', 'denied.example', ca, 'big'])).code).toBe(3);
  });

  test("a denied flow's server replies are dropped too (a server that speaks first gets nothing through)", async () => {
    const blockedBefore = await metric('gwlb_agent_packets_dropped_total{reason="flow_blocked"}');
    const ok = await client(['speaks', ADDR.server, '9443', 'allowed.example']);
    expect(ok.stdout.toString()).toBe(`received ${64 * 1024}\n`);
    const denied = await client(['speaks', ADDR.server, '9443', 'bad.example']);
    expect(denied.stdout.toString()).toBe('received 0\n');
    // The server did write its 64 KiB to both (for the denied flow its segments and retransmissions were dropped).
    expect(server.output.match(/"speaks":65536/g)).toHaveLength(2);
    expect((await metric('gwlb_agent_packets_dropped_total{reason="flow_blocked"}')) - blockedBefore).toBeGreaterThan(0);
    expect(await metric('gwlb_agent_server_name_flow_drops_total{rule="deny-bad",name="bad.example"}')).toBe(1);
  });

  test('QUIC: the RFC 9001 client Initial (example.com) passes, a denied name does not', async () => {
    const a2 = readFileSync(path.join(__dirname, '..', 'agent', 'core', 'fixtures', 'rfc9001-a2-client-initial.hex'), 'utf8').trim();
    const ok = await client(['udp-hex', ADDR.server, '443', a2]);
    expect([ok.code, ok.stdout.toString()]).toEqual([0, 'quic-echo:1200']);
    const denied = quicInitial(Buffer.from('0a0b0c0d0e0f0102', 'hex'), 0, cryptoFrame(0, clientHello({ sni: ['denied.example'] })));
    expect((await client(['udp-hex', ADDR.server, '443', denied.toString('hex')])).code).toBe(3);
  });

  test('drops are in /metrics by rule and name, and in the drop log with the name', async () => {
    expect(await metric('gwlb_agent_server_name_flow_drops_total{rule="defaultAction",name="denied.example"}')).toBeGreaterThanOrEqual(5);
    expect(await metric('gwlb_agent_server_name_verdicts_total{outcome="name_rule"}')).toBeGreaterThanOrEqual(8);
    const agent = lab.procs.find((p) => p.name === 'agent1')!;
    expect(agent.output).toMatch(/"msg":"policy drop".*"rule":"defaultAction".*"flowBlocked":true,"serverName":"denied.example"/);
    const status = await lab.simStatus();
    expect(Object.values(status.violations).every((v) => v === 0)).toBe(true);
  });
});
