import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Appliance, InspectionVpc } from '../../lib/patterns';
import { onlyResource, userDataText } from './support/synth';

function agentCommand(workers?: number): string {
  const stack = new Stack();
  new InspectionVpc(stack, 'Inspection', { appliance: Appliance.agent({ workers }) });
  const script = userDataText(onlyResource(Template.fromStack(stack), 'AWS::EC2::LaunchTemplate')[1]);
  const line = script.split('\n').find((l) => l.startsWith('ExecStart='));
  if (line === undefined) throw new Error('no ExecStart in the user data');
  return line;
}

describe('Appliance.agent workers', () => {
  test('passes the worker count to the agent', () => {
    expect(agentCommand(4)).toMatch(/ --workers 4( |$)/);
  });

  test('by default leaves the count to the agent, which starts one worker per vCPU of the instance', () => {
    expect(agentCommand()).not.toContain('--workers');
  });

  test.each([0, 1.5, 1025, -1])('fails workers %p, naming the prop and the value', (workers) => {
    expect(() => agentCommand(workers)).toThrow(`workers: ${workers} is not a whole number between 1 and 1024`);
  });
});
