/**
 * gwlb-validate run as the bundled program (a real process): formats, locations, exit codes,
 * template files and cdk.out directories (stages included).
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { RuleId } from '../../lib/validation';
import { edit, SPOKE } from './cloudformation/templates';
import { buildArchitecture } from './fixture';

const REPO = path.resolve(__dirname, '..', '..');
const bundle = path.join(tmpdir(), `gwlb-validate-${process.pid}.js`);
let dir: string;

beforeAll(() => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(path.join(REPO, 'scripts', 'bundle-validate.js')).bundleValidate(bundle);
});
afterAll(() => rmSync(bundle, { force: true }));
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'gwlb-validate-cli-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bundle, ...args], { cwd: dir, encoding: 'utf8', timeout: 30000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(name: string, text: string): string {
  writeFileSync(path.join(dir, name), text);
  return name;
}

/** 1-based line of a resource key in a YAML text. */
function lineOf(text: string, logicalId: string): number {
  return text.split('\n').findIndex((l) => l.startsWith(`  ${logicalId}:`)) + 1;
}

const ASYMMETRIC = edit(SPOKE, 'VpcEndpointId: !Ref EndpointB}\n  EdgeToA', 'GatewayId: !Ref Igw}\n  EdgeToA');
const CLEAN = `Resources:
  Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.0.0.0/16}}
`;

describe('gwlb-validate', () => {
  test('--help prints the usage with the formats and exit codes, and exits 0', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: gwlb-validate');
    expect(r.stdout).toMatch(/--format <human\|json\|sarif>/);
    expect(r.stdout).toMatch(/3 {2}an input could not be read/);
  });

  test('fails with 64 and names the value for an unknown format, and without inputs', () => {
    const r = cli(['--format', 'xml', 'x.yaml']);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain("--format must be one of human, json, sarif, got 'xml'");
    expect(cli([]).status).toBe(64);
  });

  test('exits 0 for a template without findings', () => {
    const r = cli([write('clean.yaml', CLEAN)]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('0 errors, 0 warnings in 1 template file.');
  });

  test('exits 2 for warnings only, and prints where (file:line:column)', () => {
    const r = cli([write('spoke.yaml', SPOKE)]);
    expect(r.status).toBe(2);
    expect(r.stdout).toContain(`WARNING GWLB-R4-UNRESOLVED  spoke.yaml:${lineOf(SPOKE, 'EndpointA')}:3`);
  });

  test('fails with 1 on a routing error; the JSON report has the finding and its location', () => {
    const r = cli(['--format', 'json', write('spoke.yaml', ASYMMETRIC)]);
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.summary).toEqual({ errors: 1, warnings: 1, unreadable: 0 });
    const error = report.findings.find((f: { ruleId: string }) => f.ruleId === RuleId.RETURN_ROUTE_SYMMETRY);
    expect(error.location).toEqual({ file: 'spoke.yaml', logicalId: 'WebEgressB', line: lineOf(ASYMMETRIC, 'WebEgressB'), column: 3 });
    expect(error.assumedDefaults).toContain('WebBlockB = "10.20.2.0/24"');
  });

  test('SARIF 2.1.0 points at the line of the resource at fault, relative to the working directory', () => {
    const out = path.join(dir, 'report.sarif');
    const r = cli(['--format', 'sarif', '--output', out, write('spoke.yaml', ASYMMETRIC)]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const sarif = JSON.parse(readFileSync(out, 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    const run = sarif.runs[0];
    expect(run.tool.driver.name).toBe('gwlb-validate');
    const result = run.results.find((x: { ruleId: string }) => x.ruleId === RuleId.RETURN_ROUTE_SYMMETRY);
    expect(result.level).toBe('error');
    expect(run.tool.driver.rules[result.ruleIndex].id).toBe(RuleId.RETURN_ROUTE_SYMMETRY);
    expect(result.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'spoke.yaml' },
      region: { startLine: lineOf(ASYMMETRIC, 'WebEgressB'), startColumn: 3 },
    });
    expect(result.message.text).toMatch(/Asymmetric path/);
  });

  test('an unreadable file is reported and the others still validated: exit 3 without errors, 1 with', () => {
    write('broken.yaml', 'Resources: [\n');
    const unreadable = cli(['broken.yaml', write('clean.yaml', CLEAN), 'missing.json']);
    expect(unreadable.status).toBe(3);
    expect(unreadable.stdout).toMatch(/ERROR GWLB-INPUT-UNREADABLE {2}broken\.yaml/);
    expect(unreadable.stdout).toContain('missing.json');
    expect(unreadable.stdout).toContain('2 unreadable files in 3 template files.');
    expect(cli(['broken.yaml', write('spoke.yaml', ASYMMETRIC)]).status).toBe(1);
  });

  test('fails with 1 on a cdk.out directory of an app in a Stage (nested assembly), as on the template file', () => {
    const assembly = buildArchitecture({ inStage: true, asymmetricAz: 0 }).app.synth();
    const r = cli(['--format', 'json', assembly.directory]);
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.files.length).toBeGreaterThan(0);
    expect(report.findings.map((f: { ruleId: string }) => f.ruleId)).toContain(RuleId.RETURN_ROUTE_SYMMETRY);
  });

  test('a directory of templates is read file by file', () => {
    write('spoke.yaml', ASYMMETRIC);
    write('notes.txt', 'not a template');
    const r = cli(['--format', 'json', '.']);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).files).toEqual(['spoke.yaml']);
  });

  test('a directory without templates is unreadable input (exit 3), not a clean run', () => {
    const r = cli(['.']);
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/directory without CloudFormation templates/);
  });
});
