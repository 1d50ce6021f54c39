/** What happens when a changed manifest is applied over the objects the previous one created. */
export enum ApplyVerdict {
  /** The API server refuses the update: `kubectl apply` fails and nothing of this object changes. */
  REJECTED = 'REJECTED',
  /** The update is accepted, but the database engine will not start on, or not upgrade, the data it finds. */
  ENGINE_REFUSES = 'ENGINE_REFUSES',
  /** Data is lost or left behind: a database starts on empty volumes, or claims are pruned. */
  DATA_LOSS = 'DATA_LOSS',
  /** Every member restarts at once (or the only one does): the database is unavailable meanwhile. */
  RESTARTS_ALL = 'RESTARTS_ALL',
  /** The update is accepted but changes nothing that runs until someone acts (e.g. deletes the pods). */
  NO_EFFECT = 'NO_EFFECT',
}

/** One change between two synthesized outputs that does not simply apply, and the documented way through. */
export interface ApplyFinding {
  /** Kind of the object, e.g. `StatefulSet`. */
  readonly kind: string;
  /** Name of the object. */
  readonly name: string;
  /**
   * Namespace of the object.
   * @default - cluster-scoped, or no namespace written (kubectl's current namespace)
   */
  readonly namespaceName?: string;
  /** The field that changed, as a path, e.g. `spec.podManagementPolicy`. */
  readonly field: string;
  /** What applying the change does. */
  readonly verdict: ApplyVerdict;
  /** What changed and why it does not apply cleanly. */
  readonly finding: string;
  /** How to get through: the command or prop to use. */
  readonly fix: string;
}
