#!/usr/bin/env node
/*
 * Builds the native batch I/O addon (native/batchio/*.c) for BOTH appliance architectures:
 *   dist/agent/native/batchio-linux-x64.node     (x86_64)
 *   dist/agent/native/batchio-linux-arm64.node   (aarch64, Graviton)
 * with gcc for the host's architecture and the Debian cross compiler for the other
 * (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross on x86_64;
 *  gcc-x86-64-linux-gnu libc6-dev-amd64-cross on arm64). N-API is ABI-stable, so only the headers
 * are needed: node_api.h and uv.h beside the running node (e.g. /usr/include/node), offline.
 * The agent bundle embeds both files (scripts/bundle-agent.js), so appliances need no compiler.
 *
 * Each file is checked after the build: the right ELF machine, and no glibc symbol newer than
 * GLIBC_2.17 (Amazon Linux 2 and 2023, and every aarch64 glibc, load it).
 *
 *   node scripts/build-batchio.js            build both
 *   node scripts/build-batchio.js --if-missing
 */
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const SOURCE_DIR = path.join(ROOT, 'native', 'batchio');
const SOURCES = ['batchio.c', 'io.c', 'reply_cache.c'].map((f) => path.join(SOURCE_DIR, f));
const HEADERS = ['batchio.h'].map((f) => path.join(SOURCE_DIR, f));
const OUT_DIR = path.join(ROOT, 'dist', 'agent', 'native');
/** Newest glibc symbol version the addons may need. */
const MAX_GLIBC = [2, 17];

const TARGETS = {
  x64: { triple: 'x86_64-linux-gnu', elfMachine: 62, apt: 'gcc-x86-64-linux-gnu libc6-dev-amd64-cross' },
  arm64: { triple: 'aarch64-linux-gnu', elfMachine: 183, apt: 'gcc-aarch64-linux-gnu libc6-dev-arm64-cross' },
};

function outFile(arch) {
  return path.join(OUT_DIR, `batchio-linux-${arch}.node`);
}

function nodeIncludeDir() {
  const candidates = [];
  if (process.env.npm_config_nodedir) candidates.push(path.join(process.env.npm_config_nodedir, 'include', 'node'));
  candidates.push(path.join(path.resolve(path.dirname(process.execPath), '..'), 'include', 'node'));
  candidates.push('/usr/include/node', '/usr/local/include/node');
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'node_api.h')) && fs.existsSync(path.join(d, 'uv.h')));
  if (!found) throw new Error(`build-batchio: node_api.h and uv.h not found in ${candidates.join(', ')}`);
  return found;
}

function compilerFor(arch) {
  const t = TARGETS[arch];
  const cross = `${t.triple}-gcc`;
  if (hasCommand(cross)) return cross;
  if (process.arch === arch && hasCommand('gcc')) return 'gcc';
  throw new Error(`build-batchio: no C compiler for ${arch}: install ${cross} (apt-get install ${t.apt})`);
}

function hasCommand(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** ELF e_machine of a file. */
function elfMachine(file) {
  const b = fs.readFileSync(file);
  if (b.length < 20 || b.readUInt32BE(0) !== 0x7f454c46) throw new Error(`build-batchio: ${file} is not an ELF file`);
  return b.readUInt16LE(18);
}

/** Newest GLIBC_x.y version string referenced by the file. */
function newestGlibc(file) {
  const text = fs.readFileSync(file).toString('latin1');
  let newest = [0, 0];
  for (const m of text.matchAll(/GLIBC_(\d+)\.(\d+)/g)) {
    const v = [Number(m[1]), Number(m[2])];
    if (v[0] > newest[0] || (v[0] === newest[0] && v[1] > newest[1])) newest = v;
  }
  return newest;
}

function buildOne(arch, include) {
  const cc = compilerFor(arch);
  const out = outFile(arch);
  const tmp = `${out}.${process.pid}.tmp`;
  const args = ['-O2', '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', '-fvisibility=hidden', '-s',
    `-I${include}`, '-o', tmp, ...SOURCES];
  const r = spawnSync(cc, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`build-batchio: ${cc} failed for ${arch} (exit ${r.status})`);
  const machine = elfMachine(tmp);
  if (machine !== TARGETS[arch].elfMachine) throw new Error(`build-batchio: ${cc} produced ELF machine ${machine} for ${arch}`);
  const glibc = newestGlibc(tmp);
  if (glibc[0] > MAX_GLIBC[0] || (glibc[0] === MAX_GLIBC[0] && glibc[1] > MAX_GLIBC[1])) {
    throw new Error(`build-batchio: the ${arch} addon needs GLIBC_${glibc.join('.')}, newer than GLIBC_${MAX_GLIBC.join('.')}`);
  }
  fs.renameSync(tmp, out);
  return out;
}

function buildBatchIo({ ifMissing = false } = {}) {
  if (process.platform !== 'linux') throw new Error(`build-batchio: Linux only (platform is ${process.platform})`);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const include = nodeIncludeDir();
  const srcTime = Math.max(...[...SOURCES, ...HEADERS].map((f) => fs.statSync(f).mtimeMs));
  return Object.keys(TARGETS).map((arch) => {
    const out = outFile(arch);
    if (ifMissing && fs.existsSync(out) && fs.statSync(out).mtimeMs >= srcTime) return out;
    return buildOne(arch, include);
  });
}

module.exports = { buildBatchIo, outFile, OUT_DIR, TARGETS };

if (require.main === module) {
  try {
    for (const f of buildBatchIo({ ifMissing: process.argv.includes('--if-missing') })) {
      console.log(`build-batchio: ${path.relative(ROOT, f)} (${fs.statSync(f).size} bytes)`);
    }
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
