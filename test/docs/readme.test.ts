import { readFileSync } from 'fs';
import * as path from 'path';
import { BEGIN_MARKER, END_MARKER, renderPropsTables } from '../../scripts/props-tables';

const root = path.resolve(__dirname, '..', '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('README.md', () => {
  test('the props tables match the TypeScript sources (regenerate with scripts/props-tables.ts)', () => {
    const start = readme.indexOf(BEGIN_MARKER);
    const end = readme.indexOf(END_MARKER);
    expect(start).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    const inReadme = readme.slice(start + BEGIN_MARKER.length, end).trim();
    expect(inReadme).toEqual(renderPropsTables(root).trim());
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
