import * as tls from 'node:tls';
import { spawnSync } from 'node:child_process';
import {
  ClientHelloInfo, HelloStatus, readClientHelloFromHandshake, readClientHelloFromRecords,
} from '../../../lib/agent/tls-client-hello';
import { captureFirstBytes, clientHello, extension, padding, records, runClient, sniExtension } from './tls-builders';

function read(stream: Buffer, maxBytes = 16384, length = stream.length): ClientHelloInfo {
  const out = new ClientHelloInfo();
  readClientHelloFromRecords(stream, length, maxBytes, out);
  return out;
}

/** Independent completeness check: the records hold a whole first handshake message. */
function helloComplete(b: Buffer): boolean {
  const parts: Buffer[] = [];
  for (let at = 0; at + 5 <= b.length; ) {
    const n = b.readUInt16BE(at + 3);
    parts.push(b.subarray(at + 5, Math.min(b.length, at + 5 + n)));
    at += 5 + n;
  }
  const hs = Buffer.concat(parts);
  return hs.length >= 4 && hs.length >= 4 + hs.readUIntBE(1, 3);
}

describe('ClientHello reader', () => {
  test('reads the SNI of a one-record ClientHello (and lower-cases it)', () => {
    const r = read(records(clientHello({ sni: ['API.GitHub.com'] })));
    expect([r.status, r.serverName, r.ech]).toEqual([HelloStatus.OK, 'api.github.com', false]);
  });

  test('reads a ClientHello spread over several records, even a record boundary inside the header', () => {
    const hello = clientHello({ sni: ['pypi.org'], extensions: [padding(3000)] });
    for (const sizes of [[2], [1, 1, 1, 1, 100], [700], [3000, 10]]) {
      expect(read(records(hello, sizes)).serverName).toBe('pypi.org');
    }
  });

  test('asks for more until the whole message is there, at every cut point', () => {
    const stream = records(clientHello({ sni: ['a.example'] }), [40]);
    for (let cut = 0; cut < stream.length; cut++) expect(read(stream, 16384, cut).status).toBe(HelloStatus.NEED_MORE);
    expect(read(stream).serverName).toBe('a.example');
  });

  test('no SNI and no extensions at all are OK without a name', () => {
    expect(read(records(clientHello()))).toMatchObject({ status: HelloStatus.OK, serverName: null });
    expect(read(records(clientHello({ noExtensions: true })))).toMatchObject({ status: HelloStatus.OK, serverName: null });
  });

  test('ECH: the outer name is read and flagged', () => {
    const r = read(records(clientHello({ sni: ['public.example'], extensions: [extension(0xfe0d, Buffer.alloc(40, 9))] })));
    expect([r.serverName, r.ech]).toEqual(['public.example', true]);
  });

  test('OVERSIZE as soon as the length field exceeds the bound', () => {
    const stream = records(clientHello({ sni: ['a.example'], extensions: [padding(5000)] }));
    expect(read(stream, 2048, 100).status).toBe(HelloStatus.OVERSIZE);
  });

  test('not TLS: other first bytes, a first message that is not a ClientHello', () => {
    expect(read(Buffer.from('GET / HTTP/1.1\r\n')).status).toBe(HelloStatus.NOT_TLS);
    expect(read(Buffer.from([22, 3, 3, 0, 4, 2, 0, 0, 0])).status).toBe(HelloStatus.NOT_TLS);
  });

  const hello = clientHello({ sni: ['a.example'] });
  const withByte = (at: number, v: number): Buffer => { const b = Buffer.from(records(hello)); b[at] = v; return b; };
  test.each([
    ['a record of another type mid-message', Buffer.concat([records(hello.subarray(0, 10)), Buffer.from([21, 3, 3, 0, 2, 2, 40])]), 'type 21'],
    ['a zero-length record', Buffer.concat([Buffer.from([22, 3, 1, 0, 0]), records(hello)]), 'length 0'],
    ['a record version that is not 3.x', withByte(1, 2), 'version'],
    ['two host names', records(clientHello({ sni: ['a.example', 'b.example'] })), 'two host names'],
    ['a host name with a NUL', records(clientHello({ sni: ['a\u0000.example'] })), 'not a DNS name'],
    ['a host name with a space', records(clientHello({ sni: ['a b.example'] })), 'not a DNS name'],
    ['a repeated extension', records(clientHello({ sni: ['a.example'], extensions: [sniExtension('b.example')] })), 'repeats extension 0'],
    ['an extension overrunning the message', records(clientHello({ extensions: [Buffer.from([0, 43, 0xff, 0xff, 1])] })), 'overruns the message'],
    ['a session id over 32 bytes', records(clientHello({ sessionId: 33 })), 'session id length 33'],
    ['an empty SNI list', records(clientHello({ extensions: [extension(0, Buffer.from([0, 0]))] })), 'list length 0'],
  ])('fails as MALFORMED: %s', (_what, stream, reason) => {
    const r = read(stream);
    expect(r.status).toBe(HelloStatus.MALFORMED);
    expect(r.reason).toContain(reason);
  });

  test('never throws on truncated or random bytes', () => {
    const base = records(clientHello({ sni: ['a.example'], extensions: [padding(300)] }), [100]);
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(base);
      for (let k = 0; k < 3; k++) b[5 + Math.floor(Math.random() * (b.length - 5))] = Math.floor(Math.random() * 256);
      const cut = Math.floor(Math.random() * b.length);
      expect(() => read(b, 16384, cut)).not.toThrow();
      expect(() => read(b)).not.toThrow();
    }
  });

  test('handshake-only form (QUIC CRYPTO): reads the same message without records', () => {
    const out = new ClientHelloInfo();
    const msg = clientHello({ sni: ['quic.example'] });
    expect(readClientHelloFromHandshake(msg, 3, 16384, out)).toBe(HelloStatus.NEED_MORE);
    expect(readClientHelloFromHandshake(msg, msg.length - 1, 16384, out)).toBe(HelloStatus.NEED_MORE);
    expect(readClientHelloFromHandshake(msg, msg.length, 16384, out)).toBe(HelloStatus.OK);
    expect(out.serverName).toBe('quic.example');
  });
});

describe('ClientHellos of real clients', () => {
  test("Node's tls client", async () => {
    const bytes = await captureFirstBytes((port) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername: 'Node.Example.com', rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] });
      s.on('error', () => undefined);
      return () => s.destroy();
    }, helloComplete);
    expect(read(bytes)).toMatchObject({ status: HelloStatus.OK, serverName: 'node.example.com' });
  });

  const has = (cmd: string): boolean => spawnSync(cmd, ['--version']).status === 0 || spawnSync(cmd, ['version']).status === 0;

  test("Python's ssl with default settings", async () => {
    expect(has('python3')).toBe(true);
    const script = 'import socket,ssl,sys\nc=ssl.create_default_context()\ns=socket.create_connection(("127.0.0.1",int(sys.argv[1])))\ntry:\n  c.wrap_socket(s,server_hostname="pypi.org")\nexcept Exception:\n  pass';
    const bytes = await captureFirstBytes((port) => runClient('python3', ['-c', script, String(port)]), helloComplete);
    expect(read(bytes).serverName).toBe('pypi.org');
  });

  test('curl and openssl s_client', async () => {
    expect(has('curl') && has('openssl')).toBe(true);
    const curl = await captureFirstBytes((port) => runClient('curl', ['-sk', '--max-time', '5', '--resolve', `curl.example:${port}:127.0.0.1`, `https://curl.example:${port}/`]), helloComplete);
    expect(read(curl).serverName).toBe('curl.example');
    const openssl = await captureFirstBytes((port) => runClient('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'openssl.example']), helloComplete);
    expect(read(openssl).serverName).toBe('openssl.example');
  });
});
