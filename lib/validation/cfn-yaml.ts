import { LineCounter, parseDocument, isMap, isScalar, ScalarTag, CollectionTag, Document } from 'yaml';

/**
 * CloudFormation templates in JSON or YAML, read with the `yaml` package (YAML 1.2 core schema,
 * which is also a JSON parser) and the CloudFormation short-form tags (`!Ref`, `!Sub`, `!GetAtt`,
 * `!If`, ...) mapped to their long form (`{ Ref: ... }`, `{ 'Fn::Sub': ... }`).
 */

/** Short-form tags, without the `Fn::` prefix where the long form has one. */
const FN_TAGS = [
  'And', 'Base64', 'Cidr', 'Equals', 'FindInMap', 'ForEach', 'GetAZs', 'GetAtt', 'If', 'ImportValue', 'Join', 'Length',
  'Not', 'Or', 'Select', 'Split', 'Sub', 'ToJsonString', 'Transform',
];
const PLAIN_TAGS = ['Ref', 'Condition'];

type Tag = ScalarTag | CollectionTag;

function longForm(name: string): string {
  return PLAIN_TAGS.includes(name) ? name : `Fn::${name}`;
}

/** `!GetAtt A.B` is the scalar form of `Fn::GetAtt: [A, B]`. */
function scalarValue(name: string, value: string): unknown {
  if (name === 'GetAtt') {
    const dot = value.indexOf('.');
    return dot < 0 ? value : [value.slice(0, dot), value.slice(dot + 1)];
  }
  return value;
}

function cfnTags(): Tag[] {
  const tags: Tag[] = [];
  for (const name of [...PLAIN_TAGS, ...FN_TAGS]) {
    const key = longForm(name);
    tags.push({ tag: `!${name}`, resolve: (value: string) => ({ [key]: scalarValue(name, value) }) } as ScalarTag);
    for (const collection of ['seq', 'map'] as const) {
      tags.push({
        tag: `!${name}`,
        collection,
        resolve: (node: { toJSON(): unknown }) => ({ [key]: node.toJSON() }),
      } as unknown as CollectionTag);
    }
  }
  return tags;
}

const TAGS = cfnTags();

/** A 1-based line and column in a template file. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

function parse(text: string, lineCounter?: LineCounter): Document.Parsed {
  return parseDocument(text, { customTags: TAGS, uniqueKeys: false, lineCounter, prettyErrors: true });
}

/** Parse a JSON or YAML CloudFormation template; throws with the parser's message (line and column) on bad input. */
export function parseTemplateText(text: string): unknown {
  if (text.trim() === '') {
    throw new Error('the file is empty');
  }
  if (text.trimStart().startsWith('{')) {
    try {
      return checkTemplate(JSON.parse(text)); // JSON is YAML too, but JSON.parse reads it many times faster
    } catch (e) {
      if (!(e instanceof SyntaxError)) {
        throw e;
      }
      // not strict JSON (comments, YAML flow style): let the YAML parser read it or say where it breaks
    }
  }
  const document = parse(text);
  if (document.errors.length > 0) {
    throw new Error(document.errors[0].message);
  }
  return checkTemplate(document.toJS({ maxAliasCount: 1000 }) as unknown);
}

function checkTemplate(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error('the file is not a CloudFormation template (its top level is not a mapping)');
  }
  return value;
}

/** Where each resource (the key under `Resources`) is written in the template text. */
export function resourcePositions(text: string): Map<string, SourcePosition> {
  const lineCounter = new LineCounter();
  const positions = new Map<string, SourcePosition>();
  const document = parse(text, lineCounter);
  const root = document.contents;
  if (!isMap(root)) {
    return positions;
  }
  const resources = root.items.find((pair) => isScalar(pair.key) && pair.key.value === 'Resources')?.value;
  if (!isMap(resources)) {
    return positions;
  }
  for (const pair of resources.items) {
    if (isScalar(pair.key) && pair.key.range) {
      const { line, col } = lineCounter.linePos(pair.key.range[0]);
      positions.set(String(pair.key.value), { line, column: col });
    }
  }
  return positions;
}
