import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

/*
 * The package as users install it (`npm pack`, unpacked into a project's node_modules next to
 * aws-cdk-lib and constructs only): a one-statement app synthesizes with no bundler installed and
 * uploads the prebuilt agent as is.
 */

const ROOT = path.join(__dirname, '..', '..');

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stdout}${r.stderr}`);
  return r.stdout;
}

describe('installed package', () => {
  let dir: string;
  let files: string[];
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gwlb-installed-'));
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], ROOT));
    files = packed[0].files.map((f: { path: string }) => f.path);
    const pkgDir = path.join(dir, 'project', 'node_modules', 'cdk-gwlb-inspection');
    mkdirSync(pkgDir, { recursive: true });
    run('tar', ['-xzf', path.join(dir, packed[0].filename), '-C', pkgDir, '--strip-components=1'], dir);
    for (const dep of ['aws-cdk-lib', 'constructs']) {
      symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(dir, 'project', 'node_modules', dep), 'dir');
    }
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('ships the assembly, the compiled library, the prebuilt agent and the bundled yaml; no TypeScript sources', () => {
    for (const f of ['.jsii', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/agent/gwlb-agent.js', 'node_modules/yaml/package.json']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => f.startsWith('lib/') || f.startsWith('test/'))).toEqual([]);
  });

  test('a one-statement app synthesizes without a bundler and stages the prebuilt agent unchanged', () => {
    const project = path.join(dir, 'project');
    writeFileSync(path.join(project, 'app.js'), [
      "const { App, Stack } = require('aws-cdk-lib');",
      "const { GwlbInspection } = require('cdk-gwlb-inspection');",
      "let bundler = 'none';",
      "try { require.resolve('esbuild'); bundler = 'esbuild'; } catch { /* expected */ }",
      "const app = new App({ outdir: 'cdk.out', analyticsReporting: false });",
      "new GwlbInspection(new Stack(app, 'OneStatement'), 'Inspection');",
      'app.synth();',
      'console.log(bundler);',
    ].join('\n'));
    expect(run(process.execPath, ['app.js'], project).trim()).toBe('none');
    const out = path.join(project, 'cdk.out');
    const template = JSON.parse(readFileSync(path.join(out, 'OneStatement.template.json'), 'utf8'));
    const types = Object.values(template.Resources as Record<string, { Type: string }>).map((r) => r.Type);
    expect(types).toContain('AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(types).toContain('AWS::EC2::VPCEndpointService');
    const staged = readdirSync(out).filter((f) => f.startsWith('asset.') && f.endsWith('.js'));
    expect(staged).toHaveLength(1);
    const agent = readFileSync(path.join(project, 'node_modules', 'cdk-gwlb-inspection', 'dist', 'agent', 'gwlb-agent.js'));
    expect(readFileSync(path.join(out, staged[0])).equals(agent)).toBe(true);
    expect(agent.equals(readFileSync(path.join(ROOT, 'dist', 'agent', 'gwlb-agent.js')))).toBe(true);
  });
});
