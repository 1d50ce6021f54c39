/** The label and annotation keys the library writes. */
export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_VERSION = 'app.kubernetes.io/version';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'cdk8s-databases';
export const ANNOTATION_CONFIG_CHECKSUM = 'cdk8s-databases.io/config-checksum';
export const ANNOTATION_DECISION = 'cdk8s-databases.io/decision';
/** On each StatefulSet: `<family> <version>` of the engine it runs, for the apply-safety check's upgrade rules. */
export const ANNOTATION_ENGINE = 'cdk8s-databases.io/engine';
/** Prefix of the library's own label and annotation keys (config checksum, decisions, racks). */
export const OWN_KEY_PREFIX = 'cdk8s-databases.io/';
/** Label keys the library writes on every object: a user label with one of them would be overwritten. */
export const RESERVED_LABEL_KEYS = [LABEL_NAME, LABEL_INSTANCE, LABEL_VERSION, LABEL_COMPONENT, LABEL_MANAGED_BY];

/** Whether the library writes `key` itself, so a user's label or annotation with it would be overwritten. */
export function isReservedKey(key: string, reserved: string[] = RESERVED_LABEL_KEYS): boolean {
  return reserved.includes(key) || key.startsWith(OWN_KEY_PREFIX);
}

/** The labels without one key. */
export function withoutLabel(labels: Record<string, string>, key: string): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([k]) => k !== key));
}

/**
 * Labels of one database.
 *
 * `selector` is immutable on a StatefulSet, so it holds only what never changes
 * (engine family, instance name, component); `common` adds the version and ownership labels.
 */
export class DatabaseLabels {
  public readonly selector: Record<string, string>;
  public readonly common: Record<string, string>;

  constructor(family: string, instance: string, version: string, extra: Record<string, string>) {
    // The component label keeps helper Jobs of the same instance out of the database's
    // Services, NetworkPolicy and budgets.
    this.selector = { [LABEL_NAME]: family, [LABEL_INSTANCE]: instance, [LABEL_COMPONENT]: 'database' };
    this.common = {
      ...extra,
      ...this.selector,
      [LABEL_VERSION]: version,
      [LABEL_MANAGED_BY]: MANAGED_BY,
    };
  }

  /** Common labels plus `app.kubernetes.io/component`. */
  public forComponent(component: string): Record<string, string> {
    return { ...this.common, [LABEL_COMPONENT]: component };
  }
}
