#!/usr/bin/env node
/*
 * Bundles the GWLB stand-in (lib/sim/main.ts) to dist/sim/gwlb-sim.js with esbuild.
 * The tun addon (native/tun/build/Release/tun.node) is loaded at run time, not bundled:
 * build it with `node scripts/build-tun.js`.
 *
 *   node scripts/bundle-sim.js [outfile]
 */
'use strict';
const fs = require('fs');
const path = require('path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const defaultOutfile = path.join(root, 'dist', 'sim', 'gwlb-sim.js');

/** Bundles to `outfile` (written to a temporary file first, then renamed, so readers never see half a file). */
function bundleSim(outfile = defaultOutfile) {
  const tmp = `${outfile}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  esbuild.buildSync({
    entryPoints: [path.join(root, 'lib', 'sim', 'main.ts')],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    banner: { js: '#!/usr/bin/env node' },
    logLevel: 'warning',
    sourcemap: false,
  });
  fs.chmodSync(tmp, 0o755);
  fs.renameSync(tmp, outfile);
  return outfile;
}

module.exports = { bundleSim, defaultOutfile };

if (require.main === module) {
  const out = bundleSim(process.argv[2] ? path.resolve(process.argv[2]) : defaultOutfile);
  console.log(`bundle-sim: ${path.relative(process.cwd(), out)}`);
}
