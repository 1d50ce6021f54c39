import * as fc from 'fast-check';
import { Fields, Sample, edgeArray, edgeNumber, edgeRecord, edgeString, oneSuspicious } from './suspicious';
import { DatabasePriorityClassProps, DatabaseStorageClassProps, PvcRetention, VolumeBindingMode } from '../../src';

const storageClassFields: Fields = {
  provisioner: { valid: fc.constantFrom('ebs.csi.aws.com', 'pd.csi.storage.gke.io'), edge: edgeString() },
  parameters: { valid: fc.constant({ type: 'gp3', encrypted: 'true' }), edge: edgeRecord('type', 'gp3') },
  name: { valid: fc.constantFrom('db-gp3', 'fast'), edge: edgeString() },
  reclaimPolicy: { valid: fc.constantFrom(...Object.values(PvcRetention)), edge: edgeString() },
  volumeBindingMode: { valid: fc.constantFrom(...Object.values(VolumeBindingMode)), edge: edgeString() },
  allowVolumeExpansion: { valid: fc.boolean(), edge: fc.constantFrom<unknown>(undefined, 'false') },
  mountOptions: { valid: fc.constant(['noatime']), edge: edgeArray(['noatime'], edgeString()) },
};

const priorityClassFields: Fields = {
  value: { valid: fc.integer({ min: -1000, max: 1_000_000_000 }), edge: edgeNumber() },
  name: { valid: fc.constantFrom('database-critical', 'db'), edge: edgeString() },
  description: { valid: fc.constant('Databases first.'), edge: edgeString() },
};

export const storageClassProps = (): fc.Arbitrary<Sample<DatabaseStorageClassProps>> => oneSuspicious(storageClassFields, ['provisioner'], 2);
export const priorityClassProps = (): fc.Arbitrary<Sample<DatabasePriorityClassProps>> => oneSuspicious(priorityClassFields, [], 2);
