/** Rewrites the generated props tables in README.md: `npx ts-node --transpile-only scripts/update-readme.ts`. */
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { BEGIN_MARKER, END_MARKER, renderPropsTables } from './props-tables';

const file = path.resolve(__dirname, '..', 'README.md');
const text = readFileSync(file, 'utf8');
const start = text.indexOf(BEGIN_MARKER);
const end = text.indexOf(END_MARKER);
if (start < 0 || end < start) throw new Error(`update-readme: markers not found in ${file}`);
writeFileSync(file, `${text.slice(0, start + BEGIN_MARKER.length)}\n${renderPropsTables()}\n${text.slice(end)}`);
