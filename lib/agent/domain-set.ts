/**
 * Server-name patterns and a set that matches names against many of them at once.
 *
 * Pattern forms (case-insensitive; one trailing dot is ignored, on patterns and on names):
 * - `example.com`     exactly that name.
 * - `*.example.com`   any name strictly below it, one or more labels deep (`www.example.com`,
 *                     `a.b.example.com`), NOT `example.com` itself. (Broader than a certificate
 *                     wildcard, which covers one label: a firewall rule is about a domain.)
 * - `.example.com`    `example.com` AND every name below it (Squid's `dstdomain` form).
 * - `*`               any name (a flow that shows a name at all).
 * A `*` anywhere else (`w*.example.com`, `a.*.com`) is an error. Labels are 1..63 characters of
 * letters, digits, `-` and `_`, not starting or ending with `-`; a name is at most 253 characters.
 *
 * IDN: the agent compares names as sent on the wire, where an internationalised name is in its
 * A-label form (`xn--...`, RFC 5890). A pattern written in Unicode (`bücher.example`) is converted
 * to that form (node:url domainToASCII, UTS #46) when the policy is loaded.
 *
 * Matching costs one hash lookup per label of the name (plus one), whatever the number of
 * patterns: exact names in one set, `*.` suffixes in another, `.` suffixes in a third.
 */
import { domainToASCII } from 'node:url';

export class DomainPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DomainPatternError';
  }
}

const MAX_NAME = 253;
const LABEL = /^(?:[a-z0-9_]|[a-z0-9_][a-z0-9_-]{0,61}[a-z0-9_])$/;

/** Lower-cases `name`, drops one trailing dot and checks its labels; returns null when it is not a valid DNS name. */
export function normalizeName(name: string): string | null {
  let n = name.toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  if (n.length === 0 || n.length > MAX_NAME) return null;
  for (const label of n.split('.')) if (!LABEL.test(label)) return null;
  return n;
}

export enum PatternKind {
  EXACT = 0,
  /** `*.x`: strictly below x. */
  BELOW = 1,
  /** `.x`: x and below. */
  DOMAIN = 2,
  /** `*`: any name. */
  ANY = 3,
}

export interface DomainPattern {
  readonly kind: PatternKind;
  /** The normalised name (empty for ANY). */
  readonly name: string;
}

/** Parses one pattern; throws DomainPatternError naming it and saying what is wrong. */
export function parseDomainPattern(pattern: string): DomainPattern {
  const bad = (why: string): DomainPatternError => new DomainPatternError(`${JSON.stringify(pattern)} is not a valid server-name pattern: ${why}`);
  if (typeof pattern !== 'string' || pattern.length === 0) throw bad('empty');
  if (pattern === '*') return { kind: PatternKind.ANY, name: '' };
  let kind = PatternKind.EXACT;
  let rest = pattern;
  if (rest.startsWith('*.')) {
    kind = PatternKind.BELOW;
    rest = rest.slice(2);
  } else if (rest.startsWith('.')) {
    kind = PatternKind.DOMAIN;
    rest = rest.slice(1);
  }
  if (rest.includes('*')) throw bad('a wildcard is only allowed as the whole first label ("*.example.com") or alone ("*")');
  if (/[^\x21-\x7e]/.test(rest)) {
    if (/\s/.test(rest)) throw bad('contains white space');
    const ascii = domainToASCII(rest);
    if (ascii === '') throw bad('not a valid internationalised domain name');
    rest = ascii;
  }
  const name = normalizeName(rest);
  if (name === null) {
    throw bad('labels must be 1-63 letters, digits, "-" or "_" (not starting or ending with "-"), separated by single dots, at most 253 characters');
  }
  return { kind, name };
}

/** A set of patterns; `has(name)` takes a name already normalised by {@link normalizeName}. */
export class DomainSet {
  readonly size: number;
  private readonly exact = new Set<string>();
  private readonly below = new Set<string>();
  private readonly domain = new Set<string>();
  private readonly any: boolean;

  constructor(patterns: readonly DomainPattern[]) {
    let any = false;
    for (const p of patterns) {
      if (p.kind === PatternKind.ANY) any = true;
      else if (p.kind === PatternKind.EXACT) this.exact.add(p.name);
      else if (p.kind === PatternKind.BELOW) this.below.add(p.name);
      else this.domain.add(p.name);
    }
    this.any = any;
    this.size = patterns.length;
  }

  /** Parses and collects patterns (throws DomainPatternError for the first bad one). */
  static of(patterns: readonly string[]): DomainSet {
    return new DomainSet(patterns.map(parseDomainPattern));
  }

  has(name: string): boolean {
    if (this.any) return true;
    if (this.exact.has(name) || this.domain.has(name)) return true;
    if (this.below.size === 0 && this.domain.size === 0) return false;
    for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
      const suffix = name.slice(dot + 1);
      if (this.below.has(suffix) || this.domain.has(suffix)) return true;
    }
    return false;
  }
}
