import * as fc from 'fast-check';
import { replicatedProps } from './database-props';
import { FAMILIES } from './engines';
import { checkAll } from './outcome';
import { TIMEOUT_MS, params } from './run-config';
import { qosOf } from './stateful-database.property.test';
import { ReplicatedDatabase } from '../../src';

describe('ReplicatedDatabase props (valid, plus one suspicious value): refused well, or valid, deterministic, scripts parse', () => {
  test.each(FAMILIES)('%s', (family) => {
    fc.assert(fc.property(replicatedProps(family), ({ props }) => {
      checkAll((chart) => new ReplicatedDatabase(chart, 'db', props), { qosClass: qosOf(props) });
    }), params(15));
  }, TIMEOUT_MS);
});
