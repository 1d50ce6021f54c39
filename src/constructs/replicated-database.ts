import { ApiObject, Names } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct, IConstruct } from 'constructs';
import { IDatabase } from './database';
import { ReplicatedDatabaseProps } from './replicated-database-props';
import { AssemblyGroup, DatabaseAssembly, LABEL_RACK } from '../assembly/database-assembly';
import { databaseNameFix, registerDatabase } from '../assembly/database-record';
import { checkEngine } from '../assembly/validate-engine';
import { validateProps } from '../assembly/validate-props';
import { layoutSpreadConstraints, validateLayout } from '../assembly/validate-replication';
import { BudgetPlan } from '../disruption/budgets';
import { budgetJson, checkBudgetsDisjoint, createBudgets, planBudgets } from '../disruption/pdb';
import { Engine } from '../engines/engine';
import { ReplicationPlan, RoleLabel } from '../engines/engine-definition';
import { ReplicationMode } from '../engines/engine-port';
import { DatabaseConnections } from '../network/connections';
import { HINT_QUORUM, HINT_ROLE_VALUES, HINT_RUNTIME_LABELS, HINT_ZONES, SUPPRESSION_PREFIX } from '../policy/manifest';
import { checkFlag } from '../private/choices';
import { connectionEnv } from '../private/connection-env';
import { takeSiteMembership } from '../private/dr-membership';
import { check } from '../private/errors';
import { RESERVED_LABEL_KEYS } from '../private/labels';
import { MAX_STATEFULSET_NAME, isLabelValue, isQualifiedKey } from '../private/names';
import { claimObjectNames } from '../private/object-names';
import { checkProps } from '../private/value-types';
import { planRollout, readRolloutStatefulSet } from '../report/rollout-plan';
import { ReportEntry, SynthReport } from '../report/synth-report';
import { Tolerance, computeTolerance } from '../report/tolerance';

/**
 * Several instances of one database with the engine's own replication and automatic failover,
 * spread over zones and hosts, protected by PodDisruptionBudgets that keep quorum, and Services that
 * follow roles where the engine labels them. At synth time it checks replicas against zones, spread
 * and quorum, and reports what it survives (`tolerance()` and the synth report beside the YAML).
 */
export class ReplicatedDatabase extends Construct implements IDatabase {
  /** Name of the database (client Service; StatefulSet, or StatefulSet prefix for racks). */
  public readonly name: string;
  /** Host of the read-write endpoint (the primary where the engine has roles; all members otherwise). */
  public readonly primaryHost: string;
  /** Host of the read-only endpoint (replicas), where the engine labels roles. */
  public readonly readerHost?: string;
  /** Client port. */
  public readonly port: number;
  /** Stable DNS names of every member. */
  public readonly memberHosts: string[];
  /** Name of the headless Service. */
  public readonly headlessServiceName: string;
  /** Name of the credentials Secret. */
  public readonly credentialsSecretName: string;
  /** Name of the application user's Secret; undefined when applications get the superuser (`ApplicationUser.superuser()`). */
  public readonly applicationSecretName?: string;
  /** The credentials Secret. */
  public readonly credentialsSecret: kplus.ISecret;
  /** The Secret `connectionEnv()` reads: the application user's, or the superuser's. */
  private readonly clientSecret: kplus.ISecret;
  /** Who may connect; writes the NetworkPolicy (members always reach each other). */
  public readonly connections: DatabaseConnections;
  /** The engine profile. */
  public readonly engine: Engine;
  /** Members that must be up for writes (for rings: replicas of each range for QUORUM). */
  public readonly quorum: number;
  /** The StatefulSets (one, or one per rack). */
  public readonly statefulSets: ApiObject[];
  /**
   * The Job that runs `migrations`, once per version; undefined without `migrations`. Its name changes with what it
   * runs: refer to it through this object (e.g. a GitOps tool's health check), or to all its versions through the
   * label `cdk8s-databases.io/migrations-version`.
   */
  public readonly migrationsJob?: ApiObject;
  /** The PodDisruptionBudgets. */
  public readonly disruptionBudgets: ApiObject[];
  /** What fails over by itself and what does not. */
  public readonly failoverNotes: string;

  private readonly assembly: DatabaseAssembly;
  private readonly plan: ReplicationPlan;
  private readonly zonesDeclared?: number;
  private readonly replicationFactor?: number;
  private readonly roleBudgets: boolean;
  private readonly budgetPlans: BudgetPlan[];

  constructor(scope: Construct, id: string, props: ReplicatedDatabaseProps) {
    super(scope, id);
    checkProps(this, props, "{ engine: Engine.postgres({ version: PostgresVersion.V16 }), zones: ['a', 'b', 'c'] }");
    const def = checkEngine(this, props);
    this.engine = props.engine;
    this.name = props.name ?? Names.toDnsLabel(this, { maxLen: MAX_STATEFULSET_NAME });
    const layout = validateLayout(this, props, def, this.name);
    const checked = validateProps(this, props, this.name, { replicas: layout.replicas });
    this.zonesDeclared = layout.zoneCount;
    this.replicationFactor = layout.replicationFactor;

    const groups: AssemblyGroup[] = layout.racks
      ? layout.racks.map((r) => ({ name: r.statefulSetName, replicas: r.replicas, extraSelector: { [LABEL_RACK]: r.name }, zone: r.zone, rack: r }))
      : [{ name: this.name, replicas: layout.replicas }];
    this.assembly = new DatabaseAssembly(this, props, {
      name: this.name,
      checked,
      groups,
      replication: {
        replicas: layout.replicas,
        synchronousStandbys: props.synchronousStandbys,
        memberPriorities: props.memberPriorities,
        racks: layout.racks,
        replicationFactor: layout.replicationFactor,
        crossSite: takeSiteMembership(scope, id),
      },
      zones: layout.racks ? undefined : layout.zones,
      topologySpread: (selector) => layoutSpreadConstraints(layout, selector),
    });
    this.plan = this.assembly.replication!;
    this.quorum = this.plan.quorum;
    this.failoverNotes = this.plan.failoverNotes;
    this.primaryHost = this.assembly.host;
    this.readerHost = this.assembly.readerHost;
    this.port = this.assembly.port;
    this.memberHosts = this.assembly.memberHosts;
    this.headlessServiceName = this.assembly.headlessServiceName;
    this.credentialsSecretName = this.assembly.credentialsSecretName;
    this.credentialsSecret = kplus.Secret.fromSecretName(this, 'CredentialsSecret', this.credentialsSecretName);
    const client = this.assembly.clientCredentials;
    this.applicationSecretName = client.secretName === this.credentialsSecretName ? undefined : client.secretName;
    this.clientSecret = this.applicationSecretName
      ? kplus.Secret.fromSecretName(this, 'ApplicationSecret', this.applicationSecretName) : this.credentialsSecret;
    this.connections = this.assembly.connections;
    this.statefulSets = this.assembly.statefulSets;
    this.migrationsJob = this.assembly.migrationsJob;

    // Quorum against zones: a layout that loses quorum with one zone is refused unless accepted.
    const engine = `Engine '${def.family} ${def.version}'`;
    if (this.plan.roleLabel) checkRoleLabelSyntax(this, this.plan.roleLabel);
    this.roleBudgets = props.roleBudgets ?? false;
    check(!this.roleBudgets || this.plan.roleLabel !== undefined, this,
      `\`roleBudgets\` needs members labelled by role, and ${engine} does not label its pods: remove \`roleBudgets\`.`);
    const total = this.plan.mode === ReplicationMode.RING ? layout.replicationFactor! : layout.replicas;
    check(total - this.quorum >= 1 || this.roleBudgets, this,
      `${layout.replicas} replicas with a quorum of ${this.quorum} leave no member to spare: any budget that keeps quorum blocks every drain forever. Raise \`replicas\` to at least ${this.quorum + 1}${this.plan.mode === ReplicationMode.RING ? ' (and `replicationFactor` with it)' : ''}.`);
    this.budgetPlans = planBudgets({
      name: this.name,
      selector: this.assembly.labels.selector,
      mode: this.plan.mode,
      replicas: layout.replicas,
      quorum: this.quorum,
      replicationFactor: this.replicationFactor,
      roleLabel: this.plan.roleLabel,
      roleBudgets: this.roleBudgets,
    });
    checkBudgetsDisjoint(this, this.budgetPlans, this.assembly.statefulSetViews, this.plan.roleLabel);
    this.disruptionBudgets = createBudgets(this, this.budgetPlans, this.assembly.labels.common);
    if (this.plan.roleLabel) checkRoleLabel(this, this.plan.roleLabel, props.labels ?? {});

    checkFlag(this, 'allowQuorumLossOnZoneFailure', props.allowQuorumLossOnZoneFailure);
    if (props.allowQuorumLossOnZoneFailure) {
      // A permission the layout does not need is refused: left in place, it would hide a later change that does lose quorum.
      check(layout.zoneCount !== undefined, this,
        '`allowQuorumLossOnZoneFailure` is set, but no zones are declared, so the zone-loss check it waives does not run: declare `zones` or `zoneCount`, or remove it.');
      check(this.tolerance().zoneFailuresTolerated < 1, this,
        '`allowQuorumLossOnZoneFailure` is set, but this layout keeps quorum when a zone is lost: remove it, so that a later change that loses quorum is reported.');
    } else if (layout.zoneCount !== undefined) {
      const t = this.tolerance();
      check(t.zoneFailuresTolerated >= 1, this,
        `losing one zone loses quorum: ${layout.replicas} replicas over ${layout.zoneCount} zone(s) put up to ${t.maxMembersPerZone} in one zone, and ${this.quorum} must stay up. Spread over more zones (\`zones\`, \`zoneSpread\`), change \`replicas\`, or accept it with \`allowQuorumLossOnZoneFailure: true\`.`);
    }

    writePolicyHints(this.statefulSets, {
      quorum: this.quorum,
      zones: layout.zoneCount,
      roleLabel: this.plan.roleLabel,
      quorumLossAccepted: props.allowQuorumLossOnZoneFailure === true,
    });

    registerDatabase(this, {
      assembly: this.assembly,
      members: groups.flatMap((g) => Array.from({ length: g.replicas }, (_, i) => `${g.name}-${i}`)),
      replicated: true,
    });
    claimObjectNames(this, databaseNameFix(this.name));
    SynthReport.register(this, this);
  }

  /**
   * What this database survives, computed from its StatefulSets (replicas, spread constraints, zone
   * affinity) and PodDisruptionBudgets as synthesized.
   */
  public tolerance(): Tolerance {
    const notes = [this.plan.failoverNotes];
    if (this.roleBudgets && this.plan.switchoverCommand) {
      notes.push(`Drains of the primary's node wait for a switchover: ${this.switchoverCommand(`${this.statefulSets[0].name}-0`)}`);
    }
    return computeTolerance({
      // The scheduling-relevant fields, as they go into the YAML, without resolving whole objects again
      // (the synth benchmark caught that cost); test/replicated-database.test.ts proves both agree.
      statefulSets: this.assembly.statefulSetViews,
      budgets: this.budgetPlans.map(budgetJson),
      mode: this.plan.mode,
      quorum: this.quorum,
      zonesDeclared: this.zonesDeclared,
      roleLabel: this.plan.roleLabel,
      replicationFactor: this.replicationFactor,
      notes,
    });
  }

  /**
   * The command that moves the primary away from `primaryPod` before its node is drained, where the engine has one.
   * @param primaryPod name of the pod that is primary now
   */
  public switchoverCommand(primaryPod: string): string | undefined {
    return this.plan.switchoverCommand?.(primaryPod);
  }

  /**
   * Env vars for an application container: `<prefix>HOST` (read-write endpoint), `<prefix>PORT`, `<prefix>DATABASE`
   * (engines with named databases), `<prefix>USERNAME`, `<prefix>PASSWORD` (from the application user's Secret, or the
   * superuser's with `ApplicationUser.superuser()`); for PostgreSQL also `<prefix>SSLMODE` (`require`, or `verify-full` with
   * `tls`) and, with `tls`, `<prefix>CA_CERT` (the CA certificate's PEM text).
   * @param prefix prefix of the variable names; default `DB_`
   */
  public connectionEnv(prefix: string = 'DB_'): Record<string, kplus.EnvValue> {
    const mode = this.plan.clientSslMode;
    const caSecret = mode === 'verify-full' ? this.caSecret() : undefined;
    const client = this.assembly.clientCredentials;
    return connectionEnv(prefix, this.primaryHost, this.port, this.clientSecret, client.usernameKey, client.passwordKey,
      mode ? { mode, caSecret } : undefined, this.assembly.clientDatabase);
  }

  /** The TLS Secret as a reference, made once. */
  private caSecret(): kplus.ISecret {
    const existing = this.node.tryFindChild('CaSecret') as kplus.ISecret | undefined;
    return existing ?? kplus.Secret.fromSecretName(this, 'CaSecret', this.assembly.tlsSecretName!);
  }

  /** @internal */
  public _reportEntry(): ReportEntry {
    const t = this.tolerance();
    return {
      kind: 'database',
      path: this.node.path,
      name: this.name,
      summary: t.summary,
      details: {
        engine: `${this.engine.family} ${this.engine.version}`,
        replicas: t.replicas,
        zones: t.zones ?? 'not declared',
        quorum: t.quorum,
        maxMembersPerZone: t.maxMembersPerZone,
        zoneFailuresTolerated: t.zoneFailuresTolerated,
        nodeFailuresTolerated: t.nodeFailuresTolerated,
        drainsEvictAtOnce: t.drainsEvictAtOnce,
        budgets: this.disruptionBudgets.map((b) => b.name).join(', '),
        primaryHost: this.primaryHost,
        readerHost: this.readerHost,
        // From the StatefulSets as synthesized, so that a user's patch of the update strategy shows.
        rollout: planRollout({
          statefulSets: this.statefulSets.map((s) => readRolloutStatefulSet(s)),
          replicated: true,
          member: this.plan.rollout,
          budgets: this.disruptionBudgets.map((b) => b.name),
        }),
      },
      notes: t.notes,
    };
  }
}

/** The rule that the zone-loss check waived by `allowQuorumLossOnZoneFailure` corresponds to. */
const ZONE_QUORUM_RULE = 'DOK-ZONE-QUORUM';

/**
 * What the policy rules over rendered YAML cannot work out from it: the quorum the tolerance figures use (for rings,
 * replicas of one token range), the zones declared, the label keys the engine sets on pods at runtime, and the
 * user's acceptance of quorum loss on a zone failure as a suppression with its reason. On the StatefulSets' own
 * metadata: annotating a controller restarts no pod.
 */
function writePolicyHints(statefulSets: ApiObject[],
  hints: { quorum: number; zones?: number; roleLabel?: RoleLabel; quorumLossAccepted: boolean }): void {
  const annotations: Record<string, string> = { [HINT_QUORUM]: String(hints.quorum) };
  if (hints.zones !== undefined) annotations[HINT_ZONES] = String(hints.zones);
  if (hints.roleLabel) {
    annotations[HINT_RUNTIME_LABELS] = hints.roleLabel.key;
    annotations[HINT_ROLE_VALUES] = `${hints.roleLabel.primaryValue},${hints.roleLabel.replicaValue}`;
  }
  if (hints.quorumLossAccepted) {
    annotations[SUPPRESSION_PREFIX + ZONE_QUORUM_RULE] = 'the user accepted quorum loss on a zone failure: '
      + '`allowQuorumLossOnZoneFailure: true` on this ReplicatedDatabase';
  }
  for (const sts of statefulSets) for (const [key, value] of Object.entries(annotations)) sts.metadata.addAnnotation(key, value);
}

/** Where a custom engine's role label comes from, for the messages. */
const ROLE_PROPS = '(custom engine: `roleLabelKey`, `primaryRoleValue`, `replicaRoleValue`)';

/** The role label must be one Services and budgets can select on, and not one of the selector's labels. */
function checkRoleLabelSyntax(scope: IConstruct, role: RoleLabel): void {
  check(isQualifiedKey(role.key), scope,
    `\`engine\` role label key "${role.key}" is not a valid label key ${ROLE_PROPS}: use an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.'.`);
  check(![...RESERVED_LABEL_KEYS, LABEL_RACK].includes(role.key), scope,
    `\`engine\` role label key "${role.key}" is one of the labels the library writes and selects on ${ROLE_PROPS}: the role would overwrite it, and the Services and budgets would select nothing. Give the engine a key of its own, e.g. "example.com/role".`);
  for (const value of [role.primaryValue, role.replicaValue]) {
    check(value.length > 0 && isLabelValue(value), scope,
      `\`engine\` role value "${value}" is not a valid, non-empty label value ${ROLE_PROPS}: use at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.`);
  }
}

/** Checks the role label against the user's labels and itself, once the budgets have had their say. */
function checkRoleLabel(scope: IConstruct, role: RoleLabel, labels: Record<string, string>): void {
  check(labels[role.key] === undefined, scope,
    `\`labels\` sets "${role.key}", the label the engine moves between members to mark the primary: on the pod template it would give every member the same role until the engine relabels it. Remove it from \`labels\`.`);
  check(role.primaryValue !== role.replicaValue, scope,
    `\`engine\` role values of the primary and the replicas are both "${role.primaryValue}" ${ROLE_PROPS}: the read-write Service would select every member and send writes to replicas, and the read-only one the primary. Give the replicas a value of their own.`);
}
