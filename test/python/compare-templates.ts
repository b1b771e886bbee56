/**
 * Compares the templates of two cloud assemblies (TypeScript and Python synth of the same app):
 * every stack must be equal once asset hashes are masked, and the GWLB path validator must find no
 * error in either. Exits non-zero naming the first difference.
 *
 *   npx ts-node --transpile-only test/python/compare-templates.ts <cdk.out of TypeScript> <cdk.out of Python>
 */
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { FindingSeverity, GwlbPathValidator } from '../../lib';

/** Asset hashes (64 hex digits) differ between the two runs only by the staged asset; mask them. */
export function maskAssetHashes(text: string): string {
  return text.replace(/[0-9a-f]{64}/g, '<asset-hash>');
}

export function templatesOf(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.template.json')).sort()) {
    out.set(file, maskAssetHashes(JSON.stringify(JSON.parse(readFileSync(path.join(dir, file), 'utf8')), undefined, 1)));
  }
  return out;
}

/** The differences between two cloud assemblies, as messages (empty when equal). */
export function compareAssemblies(tsDir: string, pyDir: string): string[] {
  const ts = templatesOf(tsDir);
  const py = templatesOf(pyDir);
  const problems: string[] = [];
  if ([...ts.keys()].join() !== [...py.keys()].join()) {
    problems.push(`stacks differ: TypeScript ${[...ts.keys()].join(', ')}; Python ${[...py.keys()].join(', ')}`);
  }
  for (const [file, text] of ts) {
    const other = py.get(file);
    if (other === undefined || other === text) continue;
    const a = text.split('\n');
    const b = other.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    problems.push(`${file} differs at line ${line + 1}: TypeScript ${a[line]?.trim()} / Python ${b[line]?.trim()}`);
  }
  for (const dir of [tsDir, pyDir]) {
    const files = readdirSync(dir).filter((f) => f.endsWith('.template.json')).map((f) => ({ templatePath: path.join(dir, f) }));
    const errors = GwlbPathValidator.validateTemplateFiles(files).filter((f) => f.severity === FindingSeverity.ERROR);
    problems.push(...errors.map((f) => `${dir}: ${GwlbPathValidator.formatFinding(f)}`));
  }
  return problems;
}

if (require.main === module) {
  const [tsDir, pyDir] = process.argv.slice(2);
  const problems = compareAssemblies(tsDir, pyDir);
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n`);
    process.exit(1);
  }
  process.stdout.write(`compare-templates: ${templatesOf(tsDir).size} stacks equal (asset hashes masked), no validator error\n`);
}
