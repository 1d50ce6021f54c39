import { ApiObject, Names } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { IDatabase } from './database';
import { StatefulDatabaseProps } from './stateful-database-props';
import { DatabaseAssembly } from '../assembly/database-assembly';
import { databaseNameFix, registerDatabase } from '../assembly/database-record';
import { validateProps } from '../assembly/validate-props';
import { Engine } from '../engines/engine';
import { DatabaseConnections } from '../network/connections';
import { connectionEnv } from '../private/connection-env';
import { ANNOTATION_DECISION } from '../private/labels';
import { MAX_STATEFULSET_NAME } from '../private/names';
import { claimObjectNames } from '../private/object-names';
import { checkProps } from '../private/value-types';
import { planRollout, readRolloutStatefulSet } from '../report/rollout-plan';
import { ReportEntry, SynthReport } from '../report/synth-report';

/**
 * One database instance on a StatefulSet, done the way the best operators and charts do it:
 * its own volume from a claim template (kept when the database is deleted), a stable identity
 * (headless Service), a client Service, Guaranteed QoS on every container, restricted pod security,
 * probes and a clean shutdown from the engine's own tools, credentials from a Secret, a default-deny
 * NetworkPolicy, metrics, and optional TLS.
 *
 * Every prop is checked at synth time; a bad value throws an error naming this construct, the prop,
 * the reason and the fix.
 */
export class StatefulDatabase extends Construct implements IDatabase {
  /** Name of the StatefulSet and of the client Service. */
  public readonly name: string;
  /** Host name applications connect to (the client Service). */
  public readonly host: string;
  /** Client port. */
  public readonly port: number;
  /** Name of the headless Service that gives each pod its stable DNS name. */
  public readonly headlessServiceName: string;
  /** Name of the Secret holding `username` and `password` (or the keys given). */
  public readonly credentialsSecretName: string;
  /** Name of the application user's Secret; undefined when applications get the superuser (`ApplicationUser.superuser()`). */
  public readonly applicationSecretName?: string;
  /** The credentials Secret, to hand to cdk8s-plus workloads. */
  public readonly credentialsSecret: kplus.ISecret;
  /** The Secret `connectionEnv()` reads: the application user's, or the superuser's. */
  private readonly clientSecret: kplus.ISecret;
  /** Who may connect; writes the NetworkPolicy. */
  public readonly connections: DatabaseConnections;
  /** The engine profile. */
  public readonly engine: Engine;
  /** The StatefulSet. */
  public readonly statefulSet: ApiObject;
  /**
   * The Job that runs `migrations`, once per version; undefined without `migrations`. Its name changes with what it
   * runs: refer to it through this object (e.g. a GitOps tool's health check), or to all its versions through the
   * label `cdk8s-databases.io/migrations-version`.
   */
  public readonly migrationsJob?: ApiObject;

  private readonly assembly: DatabaseAssembly;
  /** The budget `blockEvictions` adds. */
  private readonly disruptionBudget?: ApiObject;

  constructor(scope: Construct, id: string, props: StatefulDatabaseProps) {
    super(scope, id);
    checkProps(this, props, '{ engine: Engine.postgres({ version: PostgresVersion.V16 }) }');
    this.engine = props.engine;
    this.name = props.name ?? Names.toDnsLabel(this, { maxLen: MAX_STATEFULSET_NAME });
    const checked = validateProps(this, props, this.name, { replicas: 1 });
    this.assembly = new DatabaseAssembly(this, props, { name: this.name, checked, groups: [{ name: this.name, replicas: 1 }] });
    this.host = this.assembly.host;
    this.port = this.assembly.port;
    this.headlessServiceName = this.assembly.headlessServiceName;
    this.credentialsSecretName = this.assembly.credentialsSecretName;
    this.credentialsSecret = kplus.Secret.fromSecretName(this, 'CredentialsSecret', this.credentialsSecretName);
    const client = this.assembly.clientCredentials;
    this.applicationSecretName = client.secretName === this.credentialsSecretName ? undefined : client.secretName;
    this.clientSecret = this.applicationSecretName
      ? kplus.Secret.fromSecretName(this, 'ApplicationSecret', this.applicationSecretName) : this.credentialsSecret;
    this.connections = this.assembly.connections;
    this.statefulSet = this.assembly.statefulSets[0];
    this.migrationsJob = this.assembly.migrationsJob;
    if (props.blockEvictions) this.disruptionBudget = this.blockingBudget();
    registerDatabase(this, { assembly: this.assembly, members: [`${this.name}-0`], replicated: false });
    claimObjectNames(this, databaseNameFix(this.name));
    SynthReport.register(this, this);
  }

  /**
   * Env vars for an application container: `<prefix>HOST`, `<prefix>PORT`, `<prefix>DATABASE` (engines with named
   * databases), `<prefix>USERNAME` and `<prefix>PASSWORD` (the last two from the application user's Secret, or the
   * superuser's with `ApplicationUser.superuser()`).
   * @param prefix prefix of the variable names; default `DB_`
   */
  public connectionEnv(prefix: string = 'DB_'): Record<string, kplus.EnvValue> {
    const client = this.assembly.clientCredentials;
    return connectionEnv(prefix, this.host, this.port, this.clientSecret, client.usernameKey, client.passwordKey,
      undefined, this.assembly.clientDatabase);
  }

  /** @internal */
  public _reportEntry(): ReportEntry {
    return {
      kind: 'database',
      path: this.node.path,
      name: this.name,
      summary: 'a single instance: the database is unavailable while its only member restarts',
      details: {
        engine: `${this.engine.family} ${this.engine.version}`,
        replicas: 1,
        host: this.host,
        // From the StatefulSet as synthesized, so that a user's patch of the update strategy shows.
        rollout: planRollout({
          statefulSets: [readRolloutStatefulSet(this.statefulSet)],
          replicated: false,
          budgets: this.disruptionBudget ? [this.disruptionBudget.name] : [],
        }),
      },
      notes: [],
    };
  }

  private blockingBudget(): ApiObject {
    const labels = this.assembly.labels;
    return new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
      metadata: {
        name: this.name,
        labels: labels.common,
        annotations: {
          [ANNOTATION_DECISION]: 'blockEvictions=true: voluntary evictions of this single instance are refused; node drains wait until the database is moved by hand.',
        },
      },
      spec: {
        selector: { matchLabels: labels.selector },
        maxUnavailable: k8s.IntOrString.fromNumber(0),
      },
    });
  }
}
