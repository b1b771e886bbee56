#!/usr/bin/env node
/*
 * Bundles the GWLB stand-in (lib/sim/main.ts) to dist/sim/gwlb-sim.js with esbuild.
 * The tun addon (native/tun/build/Release/tun.node) is loaded at run time, not bundled:
 * build it with `node scripts/build-tun.js`.
 *
 *   node scripts/bundle-sim.js [outfile]
 */
'use strict';
const path = require('path');
const { bundleEntry } = require('./bundle-entry');

const root = path.resolve(__dirname, '..');
const defaultOutfile = path.join(root, 'dist', 'sim', 'gwlb-sim.js');

/** Bundles to `outfile` (bundle-entry.js: via a temporary file, renamed when complete). */
function bundleSim(outfile = defaultOutfile) {
  return bundleEntry(path.join(root, 'lib', 'sim', 'main.ts'), outfile);
}

module.exports = { bundleSim, defaultOutfile };

if (require.main === module) {
  const out = bundleSim(process.argv[2] ? path.resolve(process.argv[2]) : defaultOutfile);
  console.log(`bundle-sim: ${path.relative(process.cwd(), out)}`);
}
