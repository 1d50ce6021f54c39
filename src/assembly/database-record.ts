import { IConstruct } from 'constructs';
import type { DatabaseAssembly } from './database-assembly';

/** What a BackupSchedule needs to know about a database, without widening the public API. */
export interface DatabaseRecord {
  readonly assembly: DatabaseAssembly;
  /** Pod names in ordinal order per StatefulSet (their data claims are `data-<pod>`). */
  readonly members: string[];
  readonly replicated: boolean;
}

const records = new WeakMap<IConstruct, DatabaseRecord>();

export function registerDatabase(construct: IConstruct, record: DatabaseRecord): void {
  records.set(construct, record);
}

export function databaseRecord(construct: IConstruct): DatabaseRecord | undefined {
  return records.get(construct);
}

/** The fix for a database whose objects collide: its `name` derives them all. */
export function databaseNameFix(name: string): string {
  return `Give each database of a namespace its own \`name\` ("${name}" here), and none that is another's name plus a suffix the library adds: a database named "<name>" emits "<name>", "<name>-headless", "<name>-ro", "<name>-metrics", "<name>-config" and more.`;
}
