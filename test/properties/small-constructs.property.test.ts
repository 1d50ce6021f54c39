import * as fc from 'fast-check';
import { checkAll } from './outcome';
import { TIMEOUT_MS, params } from './run-config';
import { priorityClassProps, storageClassProps } from './small-construct-props';
import { DatabasePriorityClass, DatabaseStorageClass } from '../../src';

describe('small constructs (valid props, plus one suspicious value): refused well, or valid and deterministic', () => {
  test('DatabaseStorageClass', () => {
    fc.assert(fc.property(storageClassProps(), ({ props }) => {
      checkAll((chart) => new DatabaseStorageClass(chart, 'sc', props), {});
    }), params(60));
  }, TIMEOUT_MS);

  test('DatabasePriorityClass', () => {
    fc.assert(fc.property(priorityClassProps(), ({ props }) => {
      checkAll((chart) => new DatabasePriorityClass(chart, 'pc', props), {});
    }), params(60));
  }, TIMEOUT_MS);
});
