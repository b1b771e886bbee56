#!/usr/bin/env node
/*
 * Builds the tun N-API addon used by gwlb-sim (native/tun -> native/tun/build/Release/tun.node).
 * Works offline: it points node-gyp at the Node headers installed beside the running node
 * (e.g. /usr/include/node) instead of letting node-gyp download them.
 *
 *   node scripts/build-tun.js            rebuild
 *   node scripts/build-tun.js --if-missing   build only when tun.node does not exist yet
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.resolve(__dirname, '..');
const addonDir = path.join(root, 'native', 'tun');
const addonFile = path.join(addonDir, 'build', 'Release', 'tun.node');

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] }));
  } catch {
    // not a local dependency; fall back to the copy bundled with npm
  }
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) {
    throw new Error(`build-tun: node-gyp not found; looked in ${candidates.join(', ')}`);
  }
  return found;
}

function findNodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return undefined; // node-gyp uses its header cache (needs a download once)
}

function buildTun({ ifMissing = false, quiet = false } = {}) {
  if (process.platform !== 'linux') {
    throw new Error(`build-tun: the tun addon is Linux only (platform is ${process.platform})`);
  }
  if (ifMissing && fs.existsSync(addonFile)) return addonFile;
  const args = [findNodeGyp(), 'rebuild', '--directory', addonDir];
  const nodedir = findNodeDir();
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  if (quiet) args.push('--loglevel=error');
  const r = spawnSync(process.execPath, args, { stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit' });
  if (r.status !== 0) {
    throw new Error(`build-tun: node-gyp failed (exit ${r.status}${r.signal ? `, signal ${r.signal}` : ''})`);
  }
  if (!fs.existsSync(addonFile)) throw new Error(`build-tun: ${addonFile} was not produced`);
  return addonFile;
}

module.exports = { buildTun, addonFile };

if (require.main === module) {
  try {
    const out = buildTun({ ifMissing: process.argv.includes('--if-missing'), quiet: process.argv.includes('--quiet') });
    console.log(`build-tun: ${path.relative(root, out)}`);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
