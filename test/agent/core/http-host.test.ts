import { HttpHostInfo, looksLikeHttp, readHttpHost } from '../../../lib/agent/http-host';
import { HelloStatus } from '../../../lib/agent/tls-client-hello';

function read(text: string, maxBytes = 4096): HttpHostInfo {
  const out = new HttpHostInfo();
  const b = Buffer.from(text, 'latin1');
  readHttpHost(b, b.length, maxBytes, out);
  return out;
}

describe('HTTP/1.x Host', () => {
  test('reads Host (case-insensitive field name, port stripped, name lower-cased)', () => {
    const r = read('GET /x HTTP/1.1\r\nUser-Agent: t\r\nhOsT:  Example.COM:8080 \r\n\r\n');
    expect([r.status, r.serverName]).toEqual([HelloStatus.OK, 'example.com']);
  });

  test('accepts bare LF line ends', () => {
    expect(read('GET / HTTP/1.1\nHost: a.example\n\n').serverName).toBe('a.example');
  });

  test('the absolute-form target wins and must agree with Host', () => {
    expect(read('GET http://proxy.example/ HTTP/1.1\r\n\r\n').serverName).toBe('proxy.example');
    expect(read('GET http://a.example:80/p HTTP/1.1\r\nHost: A.example\r\n\r\n').serverName).toBe('a.example');
    const r = read('GET http://evil.example/ HTTP/1.1\r\nHost: good.example\r\n\r\n');
    expect(r.status).toBe(HelloStatus.MALFORMED);
    expect(r.reason).toContain('differs');
  });

  test('CONNECT names its target: a proxy cannot be asked for another host under an allowed Host', () => {
    expect(read('CONNECT tunnel.example:443 HTTP/1.1\r\n\r\n').serverName).toBe('tunnel.example');
    expect(read('CONNECT evil.example:443 HTTP/1.1\r\nHost: good.example\r\n\r\n').status).toBe(HelloStatus.MALFORMED);
  });

  test('no Host (HTTP/1.0) and an IP literal give no name', () => {
    expect(read('GET / HTTP/1.0\r\n\r\n')).toMatchObject({ status: HelloStatus.OK, serverName: null });
    expect(read('GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n')).toMatchObject({ status: HelloStatus.OK, serverName: null });
  });

  test('needs more bytes until the header ends', () => {
    expect(read('GET / HTTP/1.1\r\nHost: a.example\r\n').status).toBe(HelloStatus.NEED_MORE);
    expect(read('GE').status).toBe(HelloStatus.NEED_MORE);
  });

  test('a header over the bound is OVERSIZE unless Host was already read', () => {
    const big = 'GET / HTTP/1.1\r\nCookie: ' + 'x'.repeat(600) + '\r\n';
    expect(read(big, 512).status).toBe(HelloStatus.OVERSIZE);
    expect(read('GET / HTTP/1.1\r\nHost: a.example\r\n' + 'Cookie: ' + 'x'.repeat(600) + '\r\n', 512).serverName).toBe('a.example');
  });

  test.each([
    ['two Host fields', 'GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n', 'two Host'],
    ['obsolete folding', 'GET / HTTP/1.1\r\nHost: a.example\r\n  b\r\n\r\n', 'folding'],
    ['space before colon', 'GET / HTTP/1.1\r\nHost : a.example\r\n\r\n', 'not a token'],
    ['bad request line', 'GET /\r\nHost: a\r\n\r\n', 'request line'],
    ['bad host name', 'GET / HTTP/1.1\r\nHost: a_b!.example\r\n\r\n', 'not a DNS name'],
    ['bad port', 'GET / HTTP/1.1\r\nHost: a.example:8x\r\n\r\n', 'bad port'],
  ])('fails as MALFORMED: %s', (_what, text, reason) => {
    const r = read(text);
    expect(r.status).toBe(HelloStatus.MALFORMED);
    expect(r.reason).toContain(reason);
  });

  test('TLS bytes and the HTTP/2 preface are not HTTP/1.x', () => {
    expect(looksLikeHttp(Buffer.from([0x16, 3, 1, 0, 10]), 5)).toBe(false);
    expect(read('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n').status).toBe(HelloStatus.NOT_TLS);
  });
});
