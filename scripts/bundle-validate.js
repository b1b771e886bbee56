#!/usr/bin/env node
/*
 * Bundles the template validator command (lib/validation/cli/main.ts) to dist/validate/gwlb-validate.js
 * with esbuild (package.json bin `gwlb-validate`). The bundle holds the validator and the `yaml`
 * parser; it has no dependency on aws-cdk-lib, so it runs on any template without the CDK installed.
 *
 *   node scripts/bundle-validate.js [outfile]
 */
'use strict';
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const defaultOutfile = path.join(root, 'dist', 'validate', 'gwlb-validate.js');

/** Bundles to `outfile` (written to a temporary file first, then renamed, so readers never see half a file). */
function bundleValidate(outfile = defaultOutfile) {
  const tmp = `${outfile}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  const result = esbuild.buildSync({
    entryPoints: [path.join(root, 'lib', 'validation', 'cli', 'main.ts')],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
    sourcemap: false,
    metafile: true,
  });
  const cdk = Object.keys(result.metafile.inputs).filter((f) => f.includes('node_modules/aws-cdk-lib') || f.includes('node_modules/constructs'));
  if (cdk.length > 0) {
    fs.rmSync(tmp, { force: true });
    throw new Error(`bundle-validate: the command must not depend on the CDK, but bundles ${cdk[0]}`);
  }
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, outfile);
  return outfile;
}

module.exports = { bundleValidate, defaultOutfile };

if (require.main === module) {
  const out = bundleValidate(process.argv[2] ? path.resolve(process.argv[2]) : defaultOutfile);
  console.log(`bundle-validate: ${path.relative(process.cwd(), out)}`);
}
