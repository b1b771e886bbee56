import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ELF_MACHINES, embeddedAddonMachines } from './embedded-addons';
import { ROOT } from './harness';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { bundleAgent, DEFAULT_OUTFILE } = require(path.join(ROOT, 'scripts', 'bundle-agent.js'));

describe('scripts/bundle-agent.js', () => {
  test('bundleAgent(outfile) writes an executable single-file agent with a node shebang', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gwlb-bundle-'));
    try {
      const out = bundleAgent(path.join(dir, 'nested', 'agent.js'));
      expect(out).toBe(path.join(dir, 'nested', 'agent.js'));
      const text = fs.readFileSync(out, 'utf8');
      expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
      expect(fs.statSync(out).mode & 0o111).toBe(0o111);
      expect(text).not.toMatch(/require\(["']aws-cdk-lib|require\(["']constructs/);
      // Both appliance architectures' native batch I/O addons, embedded: no compiler on the appliance.
      expect(embeddedAddonMachines(text)).toEqual(ELF_MACHINES);
      // Runs directly through the shebang, without node on the command line.
      expect(execFileSync(out, ['--help'], { encoding: 'utf8' })).toContain('Usage: gwlb-agent');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('defaults to dist/agent/gwlb-agent.js (package.json bin)', () => {
    expect(DEFAULT_OUTFILE).toBe(path.join(ROOT, 'dist', 'agent', 'gwlb-agent.js'));
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(path.join(ROOT, pkg.bin['gwlb-agent'])).toBe(DEFAULT_OUTFILE);
  });
});
