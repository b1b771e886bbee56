/**
 * The one esbuild call behind the command bundles (bundle-sim.js, bundle-validate.js): a
 * self-contained CommonJS node script with a shebang, written to a temporary file first and
 * renamed, so readers never see half a file.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');

/** Bundles `entry` to `outfile`; `check(metafile)` may throw to refuse the bundle. Returns `outfile`. */
function bundleEntry(entry, outfile, check) {
  const tmp = `${outfile}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  const result = esbuild.buildSync({
    entryPoints: [entry],
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
  try {
    if (check) check(result.metafile);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, outfile);
  return outfile;
}

module.exports = { bundleEntry };
