import * as fc from 'fast-check';
import { statefulProps } from './database-props';
import { FAMILIES } from './engines';
import { checkAll } from './outcome';
import { TIMEOUT_MS, params } from './run-config';
import { QosClass, StatefulDatabase, StatefulDatabaseProps } from '../../src';

/** The QoS the props asked for (an invalid qosClass that is accepted must still give Guaranteed pods). */
export const qosOf = (props: StatefulDatabaseProps) => (props.qosClass === QosClass.BURSTABLE ? 'Burstable' : 'Guaranteed');

describe('StatefulDatabase props (valid, plus one suspicious value): refused well, or valid, deterministic, scripts parse', () => {
  test.each(FAMILIES)('%s', (family) => {
    fc.assert(fc.property(statefulProps(family), ({ props }) => {
      checkAll((chart) => new StatefulDatabase(chart, 'db', props), { qosClass: qosOf(props) });
    }), params(20));
  }, TIMEOUT_MS);
});
