import { DomainPatternError, DomainSet, normalizeName, parseDomainPattern, PatternKind } from '../../../lib/agent/domain-set';

describe('server-name patterns', () => {
  const set = DomainSet.of(['github.com', '*.amazonaws.com', '.pypi.org', 'Example.NET.', 'bücher.example']);

  test.each([
    ['github.com', true],
    ['api.github.com', false], // exact names match only themselves
    ['s3.amazonaws.com', true],
    ['a.b.s3.amazonaws.com', true], // *. covers any depth
    ['amazonaws.com', false], // *. does not cover the apex
    ['notamazonaws.com', false], // suffix on a label boundary only
    ['pypi.org', true], // .x covers the apex
    ['files.pypi.org', true],
    ['example.net', true], // upper case and trailing dot in the pattern
    ['xn--bcher-kva.example', true], // Unicode pattern compared as its A-label
    ['bücher.example', false], // names are compared as sent (A-labels); a U-label is not a wire name
    ['evil.com', false],
  ])('%s -> %s', (name, expected) => {
    const n = normalizeName(name);
    expect(n !== null && set.has(n)).toBe(expected);
  });

  test('names are lower-cased and lose one trailing dot', () => {
    expect(normalizeName('WWW.GitHub.COM.')).toBe('www.github.com');
    expect(set.has(normalizeName('API.S3.AMAZONAWS.COM.')!)).toBe(true);
  });

  test('"*" matches any name', () => {
    expect(DomainSet.of(['*']).has('anything.example')).toBe(true);
    expect(parseDomainPattern('*').kind).toBe(PatternKind.ANY);
  });

  test('a set of 5,000 names and 5,000 suffixes answers by lookups, not by scanning', () => {
    const patterns: string[] = [];
    for (let i = 0; i < 5000; i++) patterns.push(`host${i}.example.com`, `*.zone${i}.example.org`);
    const big = DomainSet.of(patterns);
    expect(big.size).toBe(10000);
    expect(big.has('host4999.example.com')).toBe(true);
    expect(big.has('a.zone17.example.org')).toBe(true);
    expect(big.has('zone17.example.org')).toBe(false);
    expect(big.has('host5000.example.com')).toBe(false);
  });

  test.each([
    ['', 'empty'],
    ['w*.example.com', 'wildcard'],
    ['a.*.com', 'wildcard'],
    ['**', 'wildcard'],
    ['exa mple.com', 'white space'],
    ['-bad.com', 'labels'],
    ['bad-.com', 'labels'],
    ['a..com', 'labels'],
    ['a'.repeat(64) + '.com', 'labels'],
    [`${'a.'.repeat(127)}com`, 'labels'],
    ['ex@mple.com', 'labels'],
  ])('fails for pattern %j with a message naming it', (pattern, why) => {
    let err: unknown;
    try { parseDomainPattern(pattern); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(DomainPatternError);
    expect((err as Error).message).toContain(JSON.stringify(pattern));
    expect((err as Error).message).toContain(why);
  });
});
