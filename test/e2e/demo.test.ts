/**
 * scripts/demo.sh end to end: a full run, Ctrl-C in the middle and a failing step all leave no
 * namespace and no process behind. The demo names its namespaces gwlbdemo-<its pid>-*.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO, waitFor } from './helpers/lab';

interface DemoRun {
  readonly child: ChildProcess;
  output: string;
  readonly exit: Promise<number | null>;
}

function startDemo(env: NodeJS.ProcessEnv = {}): DemoRun {
  const child = spawn('bash', [path.join(REPO, 'scripts', 'demo.sh')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: DemoRun = {
    child,
    output: '',
    exit: new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)))),
  };
  child.stdout!.on('data', (d: Buffer) => (run.output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (run.output += d.toString()));
  return run;
}

/** Namespaces and processes of the demo run with bash pid `pid`. */
function leftovers(pid: number): { namespaces: string[]; processes: string[] } {
  const prefix = `gwlbdemo-${pid}`;
  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(prefix));
  const processes = spawnSync('pgrep', ['-af', prefix], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.trim() !== '');
  return { namespaces, processes };
}

/** Bash pids of the demos this file started. */
const started: number[] = [];

afterEach(() => {
  // Belt and braces: if a test failed half-way, remove what the demo it started may have left.
  for (const line of spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n')) {
    const m = /^(gwlbdemo-(\d+))-/.exec(line);
    if (m && started.includes(Number(m[2]))) spawnSync('bash', [path.join(REPO, 'scripts', 'demo-lab.sh'), 'down', m[1]]);
  }
});
describe('scripts/demo.sh', () => {
  test('runs start to finish and leaves no namespaces or processes behind', async () => {
    const run = startDemo();
    started.push(run.child.pid!);
    const code = await run.exit;
    expect({ code, output: run.output }).toMatchObject({ code: 0 });
    expect(run.output).toContain('both agents healthy');
    expect(run.output).toMatch(/client port 45001 → agent 10\.77\.3\.1[12]: "hello from server 8000"/);
    expect(run.output).toContain('no answer within 3 s: dropped by the agent');
    expect(run.output).toMatch(/1048576 bytes, sha256 [0-9a-f]{16}… matches/);
    expect(run.output).toContain('sim marked agent 2 unhealthy');
    expect(run.output).toMatch(/new connection from port 45101 → agent 10\.77\.3\.11/);
    expect(run.output).toContain('no namespaces or processes left behind');
    expect(run.output).toContain('Demo finished.');
    expect(leftovers(run.child.pid!)).toEqual({ namespaces: [], processes: [] });
  }, 120000);

  test('cleans up when interrupted (Ctrl-C) in the middle', async () => {
    const run = startDemo();
    started.push(run.child.pid!);
    await waitFor(() => run.output.includes('both agents healthy'), 60000, `the demo to get going; output:\n${run.output}`);
    expect(leftovers(run.child.pid!).namespaces.length).toBe(5);
    run.child.kill('SIGINT');
    const code = await run.exit;
    expect(code).toBe(130);
    expect(run.output).toContain('interrupted');
    expect(run.output).toContain('no namespaces or processes left behind');
    expect(leftovers(run.child.pid!)).toEqual({ namespaces: [], processes: [] });
  }, 120000);

  test('cleans up when its output is closed (e.g. piped into head)', async () => {
    const run = startDemo();
    started.push(run.child.pid!);
    await waitFor(() => run.output.includes('Creating namespaces'), 60000, `the demo to get going; output:\n${run.output}`);
    run.child.stdout!.destroy();
    const code = await run.exit;
    expect(code).not.toBe(0);
    expect(leftovers(run.child.pid!)).toEqual({ namespaces: [], processes: [] });
  }, 120000);

  test('cleans up and exits non-zero when a step fails', async () => {
    // A curl that fails the page fetch (and only that) makes the demo's fetch step fail.
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'gwlbdemo-fakecurl-'));
    const realCurl = spawnSync('bash', ['-c', 'command -v curl'], { encoding: 'utf8' }).stdout.trim();
    fs.writeFileSync(path.join(bin, 'curl'), `#!/bin/sh\ncase "$*" in *:8000/hello*) exit 7;; esac\nexec ${realCurl} "$@"\n`, { mode: 0o755 });
    try {
      const run = startDemo({ PATH: `${bin}:${process.env.PATH}` });
      started.push(run.child.pid!);
      const code = await run.exit;
      expect(code).toBe(1);
      expect(run.output).toContain('fetch from port 45001 failed');
      expect(run.output).toContain('Demo failed (exit 1)');
      expect(run.output).toContain('no namespaces or processes left behind');
      expect(leftovers(run.child.pid!)).toEqual({ namespaces: [], processes: [] });
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  }, 120000);
});
