import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  clientInitialKeys, hkdfExpandLabel, initialDestinationCid, InitialStatus, openInitials, QUIC_V1, readFrames,
} from '../../../lib/agent/quic-initial';
import { StreamPrefix } from '../../../lib/agent/stream-prefix';
import { ClientHelloInfo, HelloStatus, readClientHelloFromHandshake } from '../../../lib/agent/tls-client-hello';
import { clientHello, cryptoFrame, padding, quicInitial } from './tls-builders';

/** RFC 9001 Appendix A.2: the client's first Initial (1200 bytes), SNI "example.com". */
const A2 = Buffer.from(readFileSync(path.join(__dirname, 'fixtures', 'rfc9001-a2-client-initial.hex'), 'utf8').trim(), 'hex');
const A_DCID = Buffer.from('8394c8f03e515708', 'hex');

function openAll(datagrams: Buffer[]): { statuses: InitialStatus[]; hello: ClientHelloInfo } {
  const id = initialDestinationCid(datagrams[0], 0, datagrams[0].length)!;
  const keys = clientInitialKeys(id.version, id.dcid);
  const prefix = new StreamPrefix(16384, 32);
  const statuses = datagrams.map((d) => openInitials(d, 0, d.length, keys, (off, b, at, n) => { prefix.add(off, b, at, n); }));
  const hello = new ClientHelloInfo();
  readClientHelloFromHandshake(prefix.data, prefix.contiguous, 16384, hello);
  return { statuses, hello };
}

describe('QUIC Initial (RFC 9001 Appendix A vectors)', () => {
  test('A.1: client Initial secrets and keys from the DCID', () => {
    const k = clientInitialKeys(QUIC_V1, A_DCID);
    expect(k.key.toString('hex')).toBe('1f369613dd76d5467730efcbe3b1a22d');
    expect(k.iv.toString('hex')).toBe('fa044b2f42a3fd3b46fb255c');
    expect(k.hp.toString('hex')).toBe('9f50449e04a0e810283a1e9933adedd2');
    const initial = Buffer.from('7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44', 'hex');
    expect(hkdfExpandLabel(initial, 'client in', 32).toString('hex')).toBe('c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea');
  });

  test('A.2: the protected client Initial opens to a ClientHello for example.com', () => {
    expect(initialDestinationCid(A2, 0, A2.length)?.dcid.toString('hex')).toBe('8394c8f03e515708');
    const { statuses, hello } = openAll([A2]);
    expect(statuses).toEqual([InitialStatus.OK]);
    expect([hello.status, hello.serverName]).toEqual([HelloStatus.OK, 'example.com']);
  });

  test('a ClientHello split over two Initials in two datagrams, arriving in reverse order', () => {
    const dcid = Buffer.from('0102030405060708', 'hex');
    const msg = clientHello({ sni: ['split.example'], extensions: [padding(1500)] });
    const first = quicInitial(dcid, 0, cryptoFrame(0, msg.subarray(0, 1000)));
    const second = quicInitial(dcid, 1, cryptoFrame(1000, msg.subarray(1000)));
    expect(openAll([second, first]).hello.serverName).toBe('split.example');
    const oneOnly = openAll([first]).hello;
    expect(oneOnly.status).toBe(HelloStatus.NEED_MORE);
  });

  test('two Initials coalesced in one datagram, CRYPTO after ACK and PING frames', () => {
    const dcid = Buffer.from('aabbccdd', 'hex');
    const msg = clientHello({ sni: ['coalesced.example'] });
    const ack = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00]);
    const d = Buffer.concat([quicInitial(dcid, 0, Buffer.concat([ack, Buffer.from([1]), cryptoFrame(0, msg.subarray(0, 50))]), 100),
      quicInitial(dcid, 1, cryptoFrame(50, msg.subarray(50)), 100)]);
    expect(openAll([d]).hello.serverName).toBe('coalesced.example');
  });

  test('a tampered packet does not authenticate; a cut one is malformed; other versions are not Initials', () => {
    const keys = clientInitialKeys(QUIC_V1, A_DCID);
    const tampered = Buffer.from(A2);
    tampered[600] ^= 1;
    expect(openInitials(tampered, 0, tampered.length, keys, () => undefined)).toBe(InitialStatus.UNDECRYPTABLE);
    expect(openInitials(A2, 0, 500, keys, () => undefined)).toBe(InitialStatus.MALFORMED);
    const v = Buffer.from(A2);
    v.writeUInt32BE(0xff00001d, 1);
    expect(initialDestinationCid(v, 0, v.length)).toBeNull();
    expect(openInitials(v, 0, v.length, keys, () => undefined)).toBe(InitialStatus.NOT_INITIAL);
    expect(initialDestinationCid(Buffer.from([0x40, 1, 2, 3, 4, 5, 6, 7]), 0, 8)).toBeNull(); // short header
  });

  test('fails on frames an Initial may not carry, and never throws on garbage', () => {
    expect(readFrames(Buffer.from([0x08, 0, 0]), () => undefined)).toBe(InitialStatus.MALFORMED); // STREAM
    expect(readFrames(Buffer.from([0x06, 0x00, 0x10, 1, 2]), () => undefined)).toBe(InitialStatus.MALFORMED); // CRYPTO overruns
    const keys = clientInitialKeys(QUIC_V1, A_DCID);
    for (let i = 0; i < 500; i++) {
      const b = Buffer.from(A2);
      for (let k = 0; k < 4; k++) b[Math.floor(Math.random() * 40)] = Math.floor(Math.random() * 256);
      expect(() => openInitials(b, 0, Math.floor(Math.random() * b.length), keys, () => undefined)).not.toThrow();
      expect(() => initialDestinationCid(b, 0, b.length)).not.toThrow();
    }
  });
});
