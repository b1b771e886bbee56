import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { generateApiDocs } = require(path.join(root, 'scripts', 'docgen.js'));

describe('API reference', () => {
  test('docs/API.md and docs/API.python.md are what jsii-docgen makes of the current assembly (npm run docgen)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gwlb-docgen-'));
    try {
      for (const file of generateApiDocs(dir)) {
        const committed = readFileSync(path.join(root, 'docs', path.basename(file)), 'utf8');
        expect(readFileSync(file, 'utf8') === committed).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  test('every README link into docs/API.md names an anchor that exists there', () => {
    const api = readFileSync(path.join(root, 'docs', 'API.md'), 'utf8');
    const links = [...readme.matchAll(/\(docs\/API\.md#([^)]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(10);
    expect(links.filter((id) => !api.includes(`id="${id}"`))).toEqual([]);
  });
});

describe('README.md', () => {
  test('shows how to install, and the one-statement example, for TypeScript and Python', () => {
    expect(readme).toContain('npm install cdk-gwlb-inspection aws-cdk-lib constructs');
    expect(readme).toContain('pip install cdk-gwlb-inspection');
    expect(readme).toMatch(/```ts\n[^`]*new GwlbInspection\(stack, 'Gwlb'\);/);
    const python = readme.match(/```python\n([^`]*)```/);
    expect(python).not.toBeNull();
    expect(python![1]).toContain('GwlbInspection(stack, "Gwlb")');
    // The Python example imports only names the Python module has: the jsii assembly's types.
    const assembly = JSON.parse(readFileSync(path.join(root, '.jsii'), 'utf8'));
    const types = new Set(Object.values(assembly.types as Record<string, { name: string }>).map((t) => t.name));
    const imported = [...python![1].matchAll(/from cdk_gwlb_inspection import ([\w, ]+)/g)].flatMap((m) => m[1].split(',').map((n) => n.trim()));
    expect(imported).toEqual(['GwlbInspection']);
    expect(imported.filter((n) => !types.has(n))).toEqual([]);
  });

  test('documents the two commands, and they exist in package.json', () => {
    expect(readme).toContain('npm ci && npx cdk synth');
    expect(readme).toContain('npm ci && npm test');
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    for (const [script, command] of [['test', 'npm test'], ['build', 'npm run build'], ['demo', 'npm run demo'], ['bench', 'npm run bench']]) {
      expect(readme).toContain(command);
      expect(pkg.scripts[script]).toBeDefined();
    }
    expect(pkg.bin).toEqual({ 'gwlb-agent': 'dist/agent/gwlb-agent.js', 'gwlb-sim': 'dist/sim/gwlb-sim.js', 'gwlb-validate': 'dist/validate/gwlb-validate.js' });
    for (const bin of Object.keys(pkg.bin)) {
      expect(readme).toContain(bin);
    }
  });

  test('has a mermaid diagram of the inbound and return path', () => {
    const diagram = readme.match(/```mermaid\n([\s\S]*?)```/);
    expect(diagram).not.toBeNull();
    for (const hop of ['Internet gateway', 'GWLB endpoint', 'Gateway Load Balancer', 'ALB', 'GENEVE']) {
      expect(diagram![1]).toContain(hop);
    }
  });
});
