import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

/*
 * The Python package, built from the jsii assembly the way a release builds it (jsii-pacmak, then
 * the standard Python build tools; scripts/python-package.js), checked without PyPI: the wheel
 * installs on its own into a fresh virtual environment, every generated .py file byte-compiles,
 * the module declares exactly the assembly's types with exactly their members, and the embedded
 * JavaScript package carries what synthesis needs (the prebuilt agent, the bundled `yaml`).
 * Synthesizing from Python needs aws-cdk-lib and jsii from PyPI: test/python/synth-check.sh.
 */

const ROOT = path.join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildPythonWheel, PYTHON } = require(path.join(ROOT, 'scripts', 'python-package.js'));

interface JsiiMember { readonly name: string }
interface JsiiType {
  readonly kind: 'class' | 'interface' | 'enum';
  readonly name: string;
  readonly datatype?: boolean;
  readonly methods?: JsiiMember[];
  readonly properties?: JsiiMember[];
  readonly members?: JsiiMember[];
  readonly interfaces?: string[];
}
interface Inspection {
  readonly compiled: string[];
  readonly all: string[];
  readonly types: Record<string, { name: string; kind: string; members: string[] }>;
  readonly jsiiTarballs: string[];
}

function run(cmd: string, args: string[], cwd?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** The properties of a struct with those of its base structs (a Python data type repeats them). */
function structProperties(types: Record<string, JsiiType>, type: JsiiType): string[] {
  const bases = (type.interfaces ?? []).map((fqn) => {
    if (types[fqn] === undefined) throw new Error(`struct ${type.name} extends ${fqn}, outside the assembly`);
    return structProperties(types, types[fqn]);
  });
  return [...new Set([...(type.properties ?? []).map((p) => p.name), ...bases.flat()])];
}

/** What the Python module must declare for a jsii type: its kind and member names. */
function expected(types: Record<string, JsiiType>, type: JsiiType): { kind: string; members: string[] } {
  if (type.kind === 'enum') return { kind: 'enum', members: type.members!.map((m) => m.name).sort() };
  if (type.datatype) return { kind: 'data_type', members: structProperties(types, type).sort() };
  const members = [...(type.methods ?? []), ...(type.properties ?? [])].map((m) => m.name).sort();
  return { kind: type.kind, members };
}

describe('Python package', () => {
  const assembly = JSON.parse(readFileSync(path.join(ROOT, '.jsii'), 'utf8'));
  const types = assembly.types as Record<string, JsiiType>;
  let venv: string;
  let wheel: string;
  let inspection: Inspection;
  let tarballFiles: string[];

  beforeAll(() => {
    venv = mkdtempSync(path.join(tmpdir(), 'gwlb-wheel-venv-'));
    const built = buildPythonWheel(path.join(venv, 'wheel'));
    wheel = built.wheel;
    process.stdout.write(`python-package: wheel built in ${built.seconds.toFixed(1)} s\n`);
    run(PYTHON, ['-m', 'venv', path.join(venv, 'env')]);
    const python = path.join(venv, 'env', 'bin', 'python');
    // --no-deps --no-index: the wheel alone, nothing from an index.
    run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--no-index', wheel]);
    inspection = JSON.parse(run(python, [path.join(__dirname, 'inspect_wheel.py')]));
    const site = run(python, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])']).trim();
    const tarball = path.join(site, 'cdk_gwlb_inspection', '_jsii', inspection.jsiiTarballs[0]);
    tarballFiles = run('tar', ['-tzf', tarball]).split('\n').filter(Boolean);
  }, 600_000);

  afterAll(() => rmSync(venv, { recursive: true, force: true }));

  test('the wheel is named after the package and version, for any Python 3 and platform', () => {
    expect(path.basename(wheel)).toBe(`cdk_gwlb_inspection-${assembly.version}-py3-none-any.whl`);
    expect(assembly.targets.python).toEqual({ distName: 'cdk-gwlb-inspection', module: 'cdk_gwlb_inspection' });
  });

  test('every generated .py file byte-compiles', () => {
    expect(inspection.compiled).toEqual(['__init__.py', '_jsii/__init__.py']);
  });

  test('the module exports exactly the types of the jsii assembly', () => {
    const names = Object.values(types).map((t) => t.name).sort();
    expect(names.length).toBeGreaterThan(50);
    expect(inspection.all).toEqual(names);
    expect(Object.keys(inspection.types).sort()).toEqual(Object.keys(types).sort());
  });

  test('every type has the kind and exactly the members of the assembly', () => {
    const mismatches = Object.entries(types)
      .map(([fqn, type]) => ({ fqn, want: expected(types, type), got: inspection.types[fqn] }))
      .filter(({ want, got }) => got === undefined || got.kind !== want.kind || JSON.stringify(got.members) !== JSON.stringify(want.members));
    expect(mismatches).toEqual([]);
  });

  test('the embedded JavaScript package has the assembly, the prebuilt agent and the bundled yaml, and no bundler', () => {
    expect(inspection.jsiiTarballs).toEqual([`cdk-gwlb-inspection@${assembly.version}.jsii.tgz`]);
    for (const file of ['package/.jsii', 'package/dist/lib/index.js', 'package/dist/agent/gwlb-agent.js', 'package/node_modules/yaml/package.json']) {
      expect(tarballFiles).toContain(file);
    }
    expect(tarballFiles.filter((f) => /node_modules\/(esbuild|@esbuild|@aws-sdk)\//.test(f))).toEqual([]);
    expect(tarballFiles.filter((f) => f.startsWith('package/lib/') || f.startsWith('package/test/'))).toEqual([]);
  });
});
