import { IConstruct } from 'constructs';
import { Engine } from '../engines/engine';

/** A database made by this library (StatefulDatabase or ReplicatedDatabase), e.g. for a BackupSchedule. */
export interface IDatabase extends IConstruct {
  /** Name of the database (client Service, StatefulSet or its prefix). */
  readonly name: string;
  /** The engine profile. */
  readonly engine: Engine;
  /** Client port. */
  readonly port: number;
  /** Name of the credentials Secret. */
  readonly credentialsSecretName: string;
}
