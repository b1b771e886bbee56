#!/usr/bin/env node
/*
 * Builds the Python package (wheel) from the jsii assembly (.jsii, written by `npm run build`).
 *
 *   node scripts/python-package.js [outdir]        default outdir: dist/python
 *   require('./scripts/python-package').buildPythonWheel(outdir) -> { wheel, seconds }
 *
 * jsii-pacmak generates the Python sources (`--code-only`); the wheel is then built with the
 * standard Python tools (`python -m build --no-isolation`) in a build venv (.cache/python-build,
 * setuptools + wheel + build from the configured pip index). Not `jsii-pacmak` building it itself:
 * its generated pyproject.toml pins build tools (setuptools~=75.3.2, build~=1.5.0) that a
 * restricted index may lack, so the dependency check is skipped and the venv's tools are used.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const BUILD_VENV = path.join(ROOT, '.cache', 'python-build');
const PYTHON = process.env.PYTHON || 'python3';

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options, env: { ...process.env, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION: '20', ...options.env } });
  if (r.status !== 0) {
    throw new Error(`python-package: ${cmd} ${args.join(' ')} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${r.stdout ?? ''}${r.stderr ?? ''}`);
  }
  return r.stdout;
}

/** The build venv's python, created with setuptools, wheel and build when missing. */
function buildVenvPython() {
  const python = path.join(BUILD_VENV, 'bin', 'python');
  const ready = path.join(BUILD_VENV, '.ready');
  if (!fs.existsSync(ready)) {
    fs.rmSync(BUILD_VENV, { recursive: true, force: true });
    run(PYTHON, ['-m', 'venv', BUILD_VENV]);
    run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', 'setuptools', 'wheel', 'build']);
    fs.writeFileSync(ready, '');
  }
  return python;
}

/** Generates the Python sources with jsii-pacmak into `dir` and returns the package directory. */
function generatePythonSources(dir) {
  if (!fs.existsSync(path.join(ROOT, '.jsii'))) {
    throw new Error('python-package: .jsii is missing: run npm run build first');
  }
  const pacmak = path.join(ROOT, 'node_modules', '.bin', 'jsii-pacmak');
  run(pacmak, ['--targets', 'python', '--code-only', '--outdir', dir, ROOT], { cwd: ROOT });
  const pkgDir = path.join(dir, 'python');
  if (!fs.existsSync(path.join(pkgDir, 'setup.py'))) throw new Error(`python-package: jsii-pacmak wrote no setup.py in ${pkgDir}`);
  return pkgDir;
}

/** Builds the wheel into `outdir`; returns its path and the seconds it took. */
function buildPythonWheel(outdir = path.join(ROOT, 'dist', 'python')) {
  const started = process.hrtime.bigint();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gwlb-pacmak-'));
  try {
    const pkgDir = generatePythonSources(work);
    const python = buildVenvPython();
    fs.rmSync(outdir, { recursive: true, force: true });
    fs.mkdirSync(outdir, { recursive: true });
    run(python, ['-m', 'build', '--wheel', '--no-isolation', '--skip-dependency-check', '--outdir', outdir, pkgDir]);
    const wheels = fs.readdirSync(outdir).filter((f) => f.endsWith('.whl'));
    if (wheels.length !== 1) throw new Error(`python-package: expected one wheel in ${outdir}, found ${wheels.join(', ') || 'none'}`);
    return { wheel: path.join(outdir, wheels[0]), seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { buildPythonWheel, generatePythonSources, PYTHON };

if (require.main === module) {
  try {
    const { wheel, seconds } = buildPythonWheel(process.argv[2] ? path.resolve(process.argv[2]) : undefined);
    process.stdout.write(`python-package: ${path.relative(process.cwd(), wheel)} (${seconds.toFixed(1)} s)\n`);
  } catch (err) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
