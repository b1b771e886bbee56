/**
 * HTTP/1.x request reader: the server name of the first request of a client's TCP stream
 * (RFC 9112): the authority of an absolute-form target (`GET http://host/ HTTP/1.1`, which a
 * server must prefer to Host, RFC 9112 section 3.2.2) or of a CONNECT target (`CONNECT host:443`),
 * or else the `Host` header field.
 *
 * ```
 * request-line  method SP request-target SP "HTTP/1." DIGIT CRLF
 * field-line    field-name ":" OWS field-value OWS CRLF      ... empty line ends the header
 * ```
 * Lines may end in LF alone (recipients may accept it). MALFORMED: no HTTP/1.x version, white space
 * before a colon, an obsolete line folding, two Host fields, a Host that differs from the target's
 * authority, a name that is not a DNS name. A request without either gives OK with no name
 * (HTTP/1.0). A header larger than the byte bound gives OVERSIZE, unless a Host field was already
 * read within the bound (then that name is used: big cookies should not break the verdict).
 * Only the first request is read: later requests on a kept-alive connection are not (see README).
 */
import { normalizeName } from './domain-set';
import { HelloStatus } from './tls-client-hello';

/** Reusable result; `status` uses the ClientHello statuses (NOT_TLS reads "not HTTP" here). */
export class HttpHostInfo {
  status = HelloStatus.NEED_MORE;
  serverName: string | null = null;
  reason = '';

  reset(): void {
    this.status = HelloStatus.NEED_MORE;
    this.serverName = null;
    this.reason = '';
  }
}

const MAX_METHOD = 32;
const SP = 0x20;
const HTAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;

function isTchar(c: number): boolean {
  // RFC 9110 tchar: ALPHA / DIGIT / "!#$%&'*+-.^_`|~"
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x21 || (c >= 0x23 && c <= 0x27) || c === 0x2a || c === 0x2b || c === 0x2d || c === 0x2e ||
    c === 0x5e || c === 0x5f || c === 0x60 || c === 0x7c || c === 0x7e;
}

/** True when the stream's first bytes can be an HTTP method followed by a space (or more is needed to tell). */
export function looksLikeHttp(buf: Buffer, length: number): boolean {
  const n = Math.min(length, MAX_METHOD + 1);
  for (let i = 0; i < n; i++) {
    if (buf[i] === SP) return i > 0;
    if (!isTchar(buf[i])) return false;
  }
  return n < MAX_METHOD + 1;
}

function done(out: HttpHostInfo, status: HelloStatus, reason = ''): HelloStatus {
  out.status = status;
  out.reason = reason;
  return status;
}

/** Strips an optional port; null for an IP-literal `[...]` or a port that is not digits. */
function hostOfAuthority(authority: string): string | null | undefined {
  let a = authority;
  const at = a.lastIndexOf('@');
  if (at >= 0) a = a.slice(at + 1);
  if (a.startsWith('[')) return null; // an IPv6 literal, not a name
  const colon = a.lastIndexOf(':');
  if (colon >= 0) {
    if (!/^[0-9]*$/.test(a.slice(colon + 1))) return undefined;
    a = a.slice(0, colon);
  }
  return a;
}

/** Reads the first request's server name from `buf[0, length)`, the first bytes of the stream. */
export function readHttpHost(buf: Buffer, length: number, maxBytes: number, out: HttpHostInfo): HelloStatus {
  out.reset();
  if (!looksLikeHttp(buf, length)) return done(out, HelloStatus.NOT_TLS, 'does not start with an HTTP method');
  const limit = Math.min(length, maxBytes);
  let lineStart = 0;
  let authority: string | null = null;
  let host: string | null = null;
  let hostFields = 0;
  for (let line = 0; ; line++) {
    const lf = buf.indexOf(LF, lineStart);
    if (lf < 0 || lf >= limit) {
      if (length >= maxBytes) {
        if (host !== null) return finish(out, authority, host);
        return done(out, HelloStatus.OVERSIZE, `request header exceeds the ${maxBytes}-byte bound`);
      }
      return done(out, HelloStatus.NEED_MORE);
    }
    const lineEnd = lf > lineStart && buf[lf - 1] === CR ? lf - 1 : lf;
    const text = buf.toString('latin1', lineStart, lineEnd);
    lineStart = lf + 1;
    if (line === 0) {
      const m = /^([^ ]+) ([^ ]+) HTTP\/1\.[0-9]$/.exec(text);
      if (!m) {
        if (/ HTTP\/2\.0$/.test(text)) return done(out, HelloStatus.NOT_TLS, 'HTTP/2 prior-knowledge preface');
        return done(out, HelloStatus.MALFORMED, `request line ${JSON.stringify(text.slice(0, 80))} is not "method target HTTP/1.x"`);
      }
      // CONNECT names its target in authority form; other methods may use the absolute form.
      const abs = m[1] === 'CONNECT' ? [m[2], m[2]] : /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(m[2]);
      if (abs) authority = abs[1];
      continue;
    }
    if (text.length === 0) return finish(out, authority, host);
    const first = text.charCodeAt(0);
    if (first === SP || first === HTAB) return done(out, HelloStatus.MALFORMED, 'obsolete line folding in the request header');
    const colon = text.indexOf(String.fromCharCode(COLON));
    if (colon <= 0) return done(out, HelloStatus.MALFORMED, `header line ${JSON.stringify(text.slice(0, 80))} has no field name and colon`);
    const name = text.slice(0, colon);
    for (let i = 0; i < name.length; i++) {
      if (!isTchar(name.charCodeAt(i))) return done(out, HelloStatus.MALFORMED, `field name ${JSON.stringify(name.slice(0, 80))} is not a token`);
    }
    if (name.toLowerCase() === 'host') {
      hostFields++;
      if (hostFields > 1) return done(out, HelloStatus.MALFORMED, 'two Host header fields');
      host = text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    }
  }
}

function finish(out: HttpHostInfo, authority: string | null, host: string | null): HelloStatus {
  const raw = authority ?? (host === '' ? null : host);
  if (raw === null) return done(out, HelloStatus.OK);
  const fromTarget = hostOfAuthority(raw);
  if (fromTarget === undefined) return done(out, HelloStatus.MALFORMED, `authority ${JSON.stringify(raw.slice(0, 80))} has a bad port`);
  if (authority !== null && host !== null && host !== '') {
    const fromHost = hostOfAuthority(host);
    if (fromHost === undefined || (fromHost ?? '').toLowerCase() !== (fromTarget ?? '').toLowerCase()) {
      return done(out, HelloStatus.MALFORMED, `Host ${JSON.stringify(host.slice(0, 80))} differs from the request target's authority`);
    }
  }
  if (fromTarget === null) return done(out, HelloStatus.OK); // IP literal: no name
  const name = normalizeName(fromTarget);
  if (name === null) return done(out, HelloStatus.MALFORMED, `host ${JSON.stringify(fromTarget.slice(0, 80))} is not a DNS name`);
  out.serverName = name;
  return done(out, HelloStatus.OK);
}
