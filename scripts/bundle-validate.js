#!/usr/bin/env node
/*
 * Bundles the template validator command (lib/validation/cli/main.ts) to dist/validate/gwlb-validate.js
 * with esbuild (package.json bin `gwlb-validate`). The bundle holds the validator and the `yaml`
 * parser; it has no dependency on aws-cdk-lib, so it runs on any template without the CDK installed.
 *
 *   node scripts/bundle-validate.js [outfile]
 */
'use strict';
const path = require('path');
const { bundleEntry } = require('./bundle-entry');

const root = path.resolve(__dirname, '..');
const defaultOutfile = path.join(root, 'dist', 'validate', 'gwlb-validate.js');

/** Bundles to `outfile` (bundle-entry.js: via a temporary file, renamed when complete). */
function bundleValidate(outfile = defaultOutfile) {
  return bundleEntry(path.join(root, 'lib', 'validation', 'cli', 'main.ts'), outfile, (metafile) => {
    const cdk = Object.keys(metafile.inputs).filter((f) => f.includes('node_modules/aws-cdk-lib') || f.includes('node_modules/constructs'));
    if (cdk.length > 0) throw new Error(`bundle-validate: the command must not depend on the CDK, but bundles ${cdk[0]}`);
  });
}

module.exports = { bundleValidate, defaultOutfile };

if (require.main === module) {
  const out = bundleValidate(process.argv[2] ? path.resolve(process.argv[2]) : defaultOutfile);
  console.log(`bundle-validate: ${path.relative(process.cwd(), out)}`);
}
