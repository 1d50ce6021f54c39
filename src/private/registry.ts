import { IConstruct } from 'constructs';
import { DatabaseAssembly } from './assembly';

/** What a BackupSchedule needs to know about a database, without widening the public API. */
export interface DatabaseRecord {
  readonly assembly: DatabaseAssembly;
  /** Pods and their data claims, in ordinal order per StatefulSet. */
  readonly members: Array<{ readonly pod: string; readonly claim: string }>;
  readonly replicated: boolean;
}

const records = new WeakMap<IConstruct, DatabaseRecord>();

export function registerDatabase(construct: IConstruct, record: DatabaseRecord): void {
  records.set(construct, record);
}

export function databaseRecord(construct: IConstruct): DatabaseRecord | undefined {
  return records.get(construct);
}
