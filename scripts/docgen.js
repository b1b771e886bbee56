#!/usr/bin/env node
/*
 * Generates the API reference from the jsii assembly (.jsii, written by `npm run build`) with
 * jsii-docgen: docs/API.md (TypeScript) and docs/API.python.md (Python).
 *
 *   node scripts/docgen.js [outdir]              default outdir: docs
 *   require('./scripts/docgen').generateApiDocs(outdir) -> [API.md, API.python.md]
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');

function generateApiDocs(outdir = path.join(ROOT, 'docs')) {
  if (!fs.existsSync(path.join(ROOT, '.jsii'))) throw new Error('docgen: .jsii is missing: run npm run build first');
  fs.mkdirSync(outdir, { recursive: true });
  const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'jsii-docgen'),
    ['--language', 'typescript', '--language', 'python', '--output', path.join(outdir, 'API.md')],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20' } });
  if (r.status !== 0) throw new Error(`docgen: jsii-docgen failed (exit ${r.status}): ${r.stdout}${r.stderr}`);
  // With two languages jsii-docgen writes API.typescript.md and API.python.md; TypeScript is the main one.
  fs.renameSync(path.join(outdir, 'API.typescript.md'), path.join(outdir, 'API.md'));
  return [path.join(outdir, 'API.md'), path.join(outdir, 'API.python.md')];
}

module.exports = { generateApiDocs };

if (require.main === module) {
  try {
    for (const file of generateApiDocs(process.argv[2] ? path.resolve(process.argv[2]) : undefined)) {
      process.stdout.write(`docgen: ${path.relative(process.cwd(), file)}\n`);
    }
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
