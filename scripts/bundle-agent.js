#!/usr/bin/env node
/**
 * Bundle the appliance agent (lib/agent/main.ts) into one executable file with
 * esbuild: platform node, target node18, CommonJS, `#!/usr/bin/env node` banner,
 * mode 0755. Default output: dist/agent/gwlb-agent.js (package.json bin `gwlb-agent`).
 *
 *   node scripts/bundle-agent.js [outfile]
 *   require('./scripts/bundle-agent').bundleAgent(outfile)
 *
 * The bundle may only contain lib/agent sources, node built-ins and the npm packages of the
 * AWS SDK for JavaScript v3 that the agent's CloudWatch/SSM integration uses (and their own
 * dependencies); anything else (e.g. an accidental aws-cdk-lib import) fails the build.
 *
 * The prebuilt native batch I/O addons (dist/agent/native/batchio-linux-{x64,arm64}.node, from
 * scripts/build-batchio.js) are embedded as base64 (lib/agent/batch-io.ts loads the one for the
 * appliance's architecture), so the bundle stays one file and appliances need no compiler.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const ENTRY = path.join(ROOT, 'lib', 'agent', 'main.ts');
const AGENT_DIR = path.join(ROOT, 'lib', 'agent') + path.sep;
/** npm package scopes/names the agent bundle may contain (the AWS SDK v3 and what it depends on). */
const ALLOWED_PACKAGES = /^(@aws-sdk|@smithy|@aws-crypto|@aws)\/|^(tslib|fast-xml-parser|strnum|bowser|uuid|@nodable\/[^/]+)\//;
const DEFAULT_OUTFILE = path.join(ROOT, 'dist', 'agent', 'gwlb-agent.js');
const NATIVE_DIR = path.join(ROOT, 'dist', 'agent', 'native');
const NATIVE_ARCHES = ['x64', 'arm64'];

/** esbuild `define` embedding every prebuilt addon; fails when one is missing. */
function batchIoDefine() {
  const embedded = {};
  for (const arch of NATIVE_ARCHES) {
    const file = path.join(NATIVE_DIR, `batchio-linux-${arch}.node`);
    if (!fs.existsSync(file)) throw new Error(`bundle-agent: ${file} is missing: run npm run build:batchio first`);
    embedded[arch] = fs.readFileSync(file).toString('base64');
  }
  return { GWLB_AGENT_BATCHIO_PREBUILT: JSON.stringify(embedded) };
}

/**
 * Build the agent bundle synchronously.
 * @param {string} [outfile] output path (default dist/agent/gwlb-agent.js)
 * @returns {string} the absolute output path
 */
function bundleAgent(outfile = DEFAULT_OUTFILE) {
  const esbuild = require('esbuild');
  const out = path.resolve(outfile);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const result = esbuild.buildSync({
    entryPoints: [ENTRY],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'cjs',
    banner: { js: '#!/usr/bin/env node' },
    legalComments: 'none',
    sourcemap: false,
    metafile: true,
    logLevel: 'warning',
    define: batchIoDefine(),
  });
  const foreign = Object.keys(result.metafile.inputs)
    .filter((input) => !input.startsWith('<define:'))
    .map((input) => path.resolve(ROOT, input))
    .filter((input) => !input.startsWith(AGENT_DIR) && !isAllowedPackage(input));
  if (foreign.length > 0) {
    fs.rmSync(out, { force: true });
    throw new Error(`bundle-agent: the agent may only use lib/agent and node built-ins, but it pulls in: ${foreign.join(', ')}`);
  }
  fs.chmodSync(out, 0o755);
  return out;
}

/** True for a file inside node_modules of an allowed package. */
function isAllowedPackage(input) {
  const at = input.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  if (at < 0) return false;
  return ALLOWED_PACKAGES.test(input.slice(at + '/node_modules/'.length).split(path.sep).join('/'));
}

module.exports = { bundleAgent, DEFAULT_OUTFILE, ENTRY, NATIVE_DIR };

if (require.main === module) {
  try {
    const out = bundleAgent(process.argv[2] || DEFAULT_OUTFILE);
    process.stdout.write(`bundle-agent: wrote ${path.relative(process.cwd(), out) || out}\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
