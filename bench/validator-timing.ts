/**
 * BENCHMARK (not product code): what the GWLB path validator adds to `cdk synth` of the example app.
 *
 *   npx ts-node --transpile-only bench/validator-timing.ts [--runs 5] [--cdk-out cdk.out]
 *
 * 1. `app.synth()` of `createExampleApp` (bin/example-stacks.ts, the cdk.json context, env-agnostic)
 *    with the validator, and without it (its `addPlugins` call filtered out, everything else the
 *    same, cdk-nag included); runs interleaved after one warm-up of each; median, min and max.
 * 2. The time spent inside `GwlbPathValidator.validate()` during those synths (the plugin alone).
 * 3. `validateTemplateFiles()` on the templates of a cloud assembly directory (default `cdk.out`,
 *    else the last synth's output), 20 times.
 * 4. With `--templates a.yaml,b.json`: per template file, reading and parsing it alone (the
 *    reference) and the whole validation (parse, every condition scenario, every rule), 20 times each.
 * Wall-clock figures on a shared machine: compare the medians, not single runs.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { parseArgs } from 'util';
import { App, IPolicyValidationPlugin, Validations } from 'aws-cdk-lib';
import { createExampleApp } from '../bin/example-stacks';
import { GwlbPathValidator, readTemplateFiles, validateTemplateFiles } from '../lib/validation';

const ROOT = path.dirname(__dirname);
const CDK_JSON = JSON.parse(readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'));
const FILE_RUNS = 20;

interface Stats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}

/** Time spent in GwlbPathValidator.validate(), accumulated while `fn` runs. */
function timingPlugin<T>(fn: () => T): { result: T; pluginMs: number } {
  const proto = GwlbPathValidator.prototype;
  const original = proto.validate;
  let pluginMs = 0;
  proto.validate = function timed(this: GwlbPathValidator, ...args: Parameters<typeof original>) {
    const start = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      pluginMs += performance.now() - start;
    }
  };
  try {
    return { result: fn(), pluginMs };
  } finally {
    proto.validate = original;
  }
}

/** Run `fn` with every `addPlugins` call ignoring GwlbPathValidator instances. */
function withoutValidator<T>(fn: () => T): T {
  const proto = Validations.prototype;
  const original = proto.addPlugins;
  proto.addPlugins = function filtered(this: Validations, ...plugins: IPolicyValidationPlugin[]) {
    return original.apply(this, plugins.filter((p) => !(p instanceof GwlbPathValidator)));
  };
  try {
    return fn();
  } finally {
    proto.addPlugins = original;
  }
}

interface SynthRun {
  readonly synthMs: number;
  readonly pluginMs: number;
  readonly outdir: string;
}

function synthOnce(withPlugin: boolean): SynthRun {
  const outdir = mkdtempSync(path.join(tmpdir(), 'gwlb-validator-timing-'));
  const app = new App({ outdir, context: CDK_JSON.context });
  const build = () => createExampleApp(app);
  if (withPlugin) {
    build();
  } else {
    withoutValidator(build);
  }
  const { result: synthMs, pluginMs } = timingPlugin(() => {
    const start = performance.now();
    app.synth();
    return performance.now() - start;
  });
  if (withPlugin && pluginMs === 0) {
    throw new Error('the validator did not run during synth');
  }
  if (!withPlugin && pluginMs !== 0) {
    throw new Error('the validator ran although it was left out');
  }
  return { synthMs, pluginMs, outdir };
}

function templatesIn(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.template.json')).map((f) => path.join(dir, f));
}

function sample(fn: () => unknown): Stats {
  fn(); // warm-up
  return stats(Array.from({ length: FILE_RUNS }, () => {
    const start = performance.now();
    fn();
    return performance.now() - start;
  }));
}

/** Section 4: the validator on hand-written templates, against parsing them alone. */
function templateTimings(files: readonly string[]): string[] {
  const rows = files.map((file) => {
    const size = (readFileSync(file).length / 1024).toFixed(1);
    const parse = sample(() => readTemplateFiles([{ templatePath: file }]));
    const validate = sample(() => validateTemplateFiles([file]));
    return `| ${path.basename(file)} (${size} KiB) | ${ms(parse.median)} | ${ms(validate.median)} (${ms(validate.min)}..${ms(validate.max)}) |`;
  });
  return ['', `Template files, ${FILE_RUNS} runs each after a warm-up (medians):`, '',
    '| template | read + parse (reference) | validateTemplateFiles() (min..max) |', '|---|---|---|', ...rows];
}

function main(): void {
  const { values } = parseArgs({ options: {
    'runs': { type: 'string', default: '5' },
    'cdk-out': { type: 'string', default: path.join(ROOT, 'cdk.out') },
    'templates': { type: 'string' },
    'templates-only': { type: 'boolean', default: false },
  } });
  const templateFiles = values.templates ? values.templates.split(',').filter((f) => f !== '') : [];
  if (values['templates-only']) {
    console.log(templateTimings(templateFiles).join('\n'));
    return;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  }
  // The example reads CDK_DEFAULT_* as `cdk synth` sets them; leave them out so it stays env-agnostic.
  delete process.env.CDK_DEFAULT_ACCOUNT;
  delete process.env.CDK_DEFAULT_REGION;
  const outdirs: string[] = [];
  const keep = (r: SynthRun) => {
    outdirs.push(r.outdir);
    return r;
  };
  try {
    keep(synthOnce(true));
    keep(synthOnce(false)); // warm-up: module loading, esbuild, first-run JIT
    const withRuns: SynthRun[] = [];
    const withoutRuns: SynthRun[] = [];
    for (let i = 0; i < runs; i++) {
      withRuns.push(keep(synthOnce(true)));
      withoutRuns.push(keep(synthOnce(false)));
    }
    const withStats = stats(withRuns.map((r) => r.synthMs));
    const withoutStats = stats(withoutRuns.map((r) => r.synthMs));
    const pluginStats = stats(withRuns.map((r) => r.pluginMs));

    const cdkOut = existsSync(values['cdk-out']!) && templatesIn(values['cdk-out']!).length > 0 ? values['cdk-out']! : withRuns[runs - 1].outdir;
    const templates = templatesIn(cdkOut);
    validateTemplateFiles(templates); // warm-up
    const fileSamples = Array.from({ length: FILE_RUNS }, () => {
      const start = performance.now();
      validateTemplateFiles(templates);
      return performance.now() - start;
    });
    const fileStats = stats(fileSamples);

    const row = (name: string, s: Stats, n: number) => `| ${name} | ${n} | ${ms(s.median)} | ${ms(s.min)} | ${ms(s.max)} |`;
    console.log([
      `GWLB path validator timing (example app, ${runs} interleaved runs each after a warm-up; node ${process.version})`,
      '',
      '| measurement | runs | median | min | max |',
      '|---|---|---|---|---|',
      row('app.synth() with the validator (cdk-nag too)', withStats, runs),
      row('app.synth() without the validator (cdk-nag only)', withoutStats, runs),
      row('GwlbPathValidator.validate() inside those synths', pluginStats, runs),
      row(`validateTemplateFiles() on ${path.relative(ROOT, cdkOut) || cdkOut} (${templates.length} templates)`, fileStats, FILE_RUNS),
      '',
      `Difference of the synth medians: ${ms(withStats.median - withoutStats.median)} `
        + `(${((withStats.median / withoutStats.median - 1) * 100).toFixed(1)} % of the synth without the validator).`,
      ...(templateFiles.length ? templateTimings(templateFiles) : []),
    ].join('\n'));
  } finally {
    outdirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  }
}

main();
