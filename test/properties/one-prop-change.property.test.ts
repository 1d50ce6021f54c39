import * as fc from 'fast-check';
import { replicatedFields, statefulFields } from './database-props';
import { FAMILIES } from './engines';
import { changeShows, changeable, twoValues, validBase } from './one-prop-change';
import { TIMEOUT_MS, params } from './run-config';
import { ReplicatedDatabase, StatefulDatabase } from '../../src';

describe('changing one prop of a valid database changes the output or is refused', () => {
  test.each(FAMILIES)('StatefulDatabase, %s', (family) => {
    const fields = statefulFields(family);
    fc.assert(fc.property(validBase(family, false, fields), twoValues(changeable(fields)), (base, change) => {
      changeShows((chart, props) => new StatefulDatabase(chart, 'db', props), base, change);
    }), params(8));
  }, TIMEOUT_MS);

  test.each(FAMILIES)('ReplicatedDatabase, %s', (family) => {
    const fields = { ...statefulFields(family, true), ...replicatedFields(family) };
    fc.assert(fc.property(validBase(family, true, fields), twoValues(changeable(fields)), (base, change) => {
      changeShows((chart, props) => new ReplicatedDatabase(chart, 'db', props), base, change);
    }), params(8));
  }, TIMEOUT_MS);
});
