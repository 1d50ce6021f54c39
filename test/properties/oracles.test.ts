import { Chart } from 'cdk8s';
import { assertRefusedWell, assertScriptsParse } from './outcome';
import { findScripts, syntaxErrors } from './shell-syntax';
import { DatabaseConfigError } from '../../src';

// The checks the properties rely on must be able to fail.
describe('property oracles', () => {
  const pod = (command: string[], args?: string[]) => ({
    kind: 'StatefulSet', metadata: { name: 'x' }, spec: { template: { spec: { containers: [{ name: 'c', command, args }] } } },
  });

  test('finds scripts in sh -c / bash -ec commands and in ConfigMap script entries', () => {
    const found = findScripts([
      pod(['bash', '-ec', 'echo a']),
      pod(['/bin/sh', '-c'], ['echo b']),
      pod(['postgres']),
      { kind: 'ConfigMap', metadata: { name: 'm' }, data: { 'start.sh': 'echo c', 'conf': 'a=b', 'run': '#!/bin/bash\necho d' } },
    ]);
    expect(found.map((f) => f.script)).toEqual(['echo a', 'echo b', 'echo c', '#!/bin/bash\necho d']);
  });

  test('bash -n refuses a broken script, in a batch with good ones', () => {
    const bad = syntaxErrors([{ where: 'a', script: 'echo ok' }, { where: 'b', script: 'if true; then echo "x' }, { where: 'c', script: 'echo ok' }]);
    expect(bad.map((b) => b.where)).toEqual(['b']);
    expect(() => assertScriptsParse([pod(['sh', '-c', 'echo $(('])])).toThrow(/property 3/);
  });

  test('only a DatabaseConfigError naming a prop in backticks is a good refusal', () => {
    const chart = new Chart(undefined as any, 'test');
    expect(() => assertRefusedWell(new DatabaseConfigError(chart, '`replicas` (0) must be at least 1.'))).not.toThrow();
    expect(() => assertRefusedWell(new DatabaseConfigError(chart, 'replicas must be at least 1.'))).toThrow(/backticks/);
    expect(() => assertRefusedWell(new Error('boom'))).toThrow(/only DatabaseConfigError/);
  });
});
