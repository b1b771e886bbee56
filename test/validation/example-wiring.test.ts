import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { createExampleApp, ExampleApp } from '../../bin/example-stacks';
import { RuleId } from '../../lib/validation';

const CDK_JSON = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'));

describe('the example app runs the validator beside cdk-nag', () => {
  let outdir: string;
  let consoleError: jest.SpyInstance;
  beforeEach(() => {
    outdir = mkdtempSync(path.join(tmpdir(), 'gwlb-example-wiring-'));
    consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    rmSync(outdir, { recursive: true, force: true });
    consoleError.mockRestore();
  });

  function example(): { app: App; stacks: ExampleApp } {
    const app = new App({ outdir, context: CDK_JSON.context });
    return { app, stacks: createExampleApp(app) };
  }

  test('fails synth when an edge route of the example is pointed at the other zone\'s endpoint', () => {
    const { app, stacks } = example();
    const routing = stacks.application.application.routing;
    routing.edgeRoutes[1].vpcEndpointId = routing.endpoints[0].vpcEndpointId;
    let report = '';
    try {
      app.synth();
    } catch (e) {
      report = `${(e as Error).message}\n${consoleError.mock.calls.flat().join('\n')}`;
    }
    expect(report).toContain(`ERROR ${RuleId.EDGE_ROUTE_SAME_AZ}`);
    expect(report).toContain(`ERROR ${RuleId.RETURN_ROUTE_SYMMETRY}`);
  });
});
