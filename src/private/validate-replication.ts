import { IConstruct } from 'constructs';
import { check } from './errors';
import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_NAME } from './labels';
import { MAX_STATEFULSET_NAME, isDnsLabel, isLabelValue, isQualifiedKey } from './names';

const SELECTOR_KEYS = [LABEL_NAME, LABEL_INSTANCE, LABEL_COMPONENT];
import { ReplicatedDatabaseProps } from '../constructs/replicated-database-props';
import { EngineDefinition, RackPlan } from '../engines/engine-definition';
import { Spread } from '../topology/spread';

/** The layout a ReplicatedDatabase settles on after its checks. */
export interface ReplicationLayout {
  readonly replicas: number;
  readonly zones?: string[];
  readonly zoneCount?: number;
  readonly zoneSpread: Spread;
  readonly hostSpread: Spread;
  /** minDomains written on the zone constraint. */
  readonly zoneMinDomains?: number;
  readonly racks?: RackPlan[];
  readonly replicationFactor?: number;
}

/** Checks the replication props that do not depend on the engine's plan (quorum is checked after planning). */
export function validateLayout(scope: IConstruct, props: ReplicatedDatabaseProps, def: EngineDefinition, name: string): ReplicationLayout {
  const engine = `Engine '${def.family} ${def.version}'`;
  check(def.replication !== undefined, scope,
    `${engine} has no replicated topology here${def.replicationUnsupported ? `: ${def.replicationUnsupported}` : ''}. Use StatefulDatabase for one instance.`);
  const replicas = props.replicas ?? 3;
  check(Number.isInteger(replicas) && replicas >= 2, scope,
    `\`replicas\` (${replicas}) must be a whole number of at least 2; for one instance use StatefulDatabase.`);
  check(props.blockEvictions === undefined, scope,
    '`blockEvictions` is for a single instance: a ReplicatedDatabase gets budgets that keep quorum (see `roleBudgets`); remove `blockEvictions`.');

  check(def.family !== 'mysql' || props.initScripts === undefined, scope,
    '`initScripts` would run on every Group Replication member separately and make their transaction sets diverge, so members could not join: run them once through a Job against the primary after the group is up.');
  check(!(def.family === 'redis' || def.family === 'valkey') || props.tls === undefined, scope,
    '`tls` is not supported with Sentinel here (Sentinel needs its own TLS settings and clients their own CA handling): remove `tls` or use StatefulDatabase.');
  const zones = props.zones;
  if (zones !== undefined) {
    check(zones.length > 0, scope, '`zones` is empty: name the zones, or leave the prop out.');
    for (const z of zones) check(isLabelValue(z) && z.length > 0, scope, `\`zones\` entry "${z}" is not a valid zone label value.`);
    check(new Set(zones).size === zones.length, scope, '`zones` names a zone twice.');
    check(props.zoneCount === undefined || props.zoneCount === zones.length, scope,
      `\`zoneCount\` (${props.zoneCount}) disagrees with \`zones\` (${zones.length} names): give one of them.`);
  }
  const zoneCount = zones?.length ?? props.zoneCount;
  if (zoneCount !== undefined) {
    check(Number.isInteger(zoneCount) && zoneCount >= 1, scope, `\`zoneCount\` (${zoneCount}) must be a whole number of at least 1.`);
  }

  const zoneSpread = props.zoneSpread ?? (zoneCount !== undefined ? Spread.required({ maxSkew: 1 }) : Spread.preferred());
  const hostSpread = props.hostSpread ?? Spread.preferred();
  for (const [prop, spread] of [['zoneSpread', zoneSpread], ['hostSpread', hostSpread]] as const) {
    check(spread.whenUnsatisfiable === undefined || (Number.isInteger(spread.maxSkew) && spread.maxSkew >= 1), scope,
      `\`${prop}\` maxSkew (${spread.maxSkew}) must be a whole number of at least 1.`);
    check(spread.minDomains === undefined || (Number.isInteger(spread.minDomains) && spread.minDomains >= 1), scope,
      `\`${prop}\` minDomains (${spread.minDomains}) must be a whole number of at least 1.`);
    for (const key of spread.matchLabelKeys ?? []) {
      // The API server refuses a key that is also in the constraint's label selector.
      check(isQualifiedKey(key) && !SELECTOR_KEYS.includes(key), scope,
        `\`${prop}\` matchLabelKeys "${key}" must be a valid label key that is not one of the selector's (${SELECTOR_KEYS.join(', ')}).`);
    }
  }
  const zoneMinDomains = zoneSpread.isRequired ? (zoneSpread.minDomains ?? zoneCount) : undefined;
  if (zoneSpread.isRequired && zoneCount !== undefined && zoneMinDomains !== undefined && zoneMinDomains > zoneCount) {
    // Fewer eligible domains than minDomains: the scheduler takes the global minimum as 0, so each
    // zone may hold at most maxSkew members.
    check(replicas <= zoneCount * zoneSpread.maxSkew, scope,
      `\`zoneSpread\` minDomains (${zoneMinDomains}) exceeds the ${zoneCount} zones declared, so the scheduler allows at most maxSkew (${zoneSpread.maxSkew}) members per zone: ${replicas - zoneCount * zoneSpread.maxSkew} of the ${replicas} replicas would stay Pending. Lower minDomains to ${zoneCount} or below, add zones, or lower \`replicas\`.`);
  }

  let racks: RackPlan[] | undefined;
  let replicationFactor: number | undefined;
  if (def.family === 'cassandra') {
    replicationFactor = props.replicationFactor ?? 3;
    check(Number.isInteger(replicationFactor) && replicationFactor >= 1 && replicationFactor <= replicas, scope,
      `\`replicationFactor\` (${replicationFactor}) must be a whole number from 1 to \`replicas\` (${replicas}).`);
    const rackSpecs = props.racks ?? (zones ? zones.map((z) => ({ name: rackName(z), zone: z })) : [{ name: 'rack1', zone: undefined }]);
    check(rackSpecs.length > 0, scope, '`racks` is empty: give at least one rack, or leave the prop out.');
    check(replicas % rackSpecs.length === 0, scope,
      `\`replicas\` (${replicas}) must divide evenly over the ${rackSpecs.length} racks, so that every rack holds the same share of the ring: use a multiple of ${rackSpecs.length}.`);
    for (const r of rackSpecs) {
      check(isDnsLabel(r.name) && `${name}-${r.name}`.length <= MAX_STATEFULSET_NAME, scope,
        `\`racks\` name "${r.name}" must be a DNS label, and "${name}-${r.name}" at most ${MAX_STATEFULSET_NAME} characters (it names the rack's StatefulSet).`);
      check(r.zone === undefined || zones === undefined || zones.includes(r.zone), scope,
        `\`racks\` "${r.name}" is pinned to zone "${r.zone}", which is not in \`zones\` (${zones?.join(', ')}).`);
    }
    check(new Set(rackSpecs.map((r) => r.name)).size === rackSpecs.length, scope, '`racks` names a rack twice.');
    racks = rackSpecs.map((r) => ({ name: r.name, zone: r.zone, replicas: replicas / rackSpecs.length, statefulSetName: `${name}-${r.name}` }));
  } else {
    check(props.racks === undefined && props.replicationFactor === undefined, scope,
      `\`racks\` and \`replicationFactor\` are Cassandra settings; ${engine} replicates whole datasets to every member: remove them.`);
  }
  if (props.synchronousStandbys !== undefined) {
    check(def.family === 'postgresql', scope, `\`synchronousStandbys\` is a PostgreSQL (Patroni) setting; remove it for ${engine}.`);
    check(Number.isInteger(props.synchronousStandbys) && props.synchronousStandbys >= 0 && props.synchronousStandbys <= replicas - 1, scope,
      `\`synchronousStandbys\` (${props.synchronousStandbys}) must be a whole number from 0 to \`replicas\` - 1 (${replicas - 1}).`);
  }
  if (props.memberPriorities !== undefined) {
    const p = props.memberPriorities;
    check(def.family === 'mongodb', scope, `\`memberPriorities\` is a MongoDB replica-set setting; remove it for ${engine}.`);
    check(p.length === replicas, scope, `\`memberPriorities\` has ${p.length} entries for ${replicas} replicas: give one per member, by ordinal.`);
    check(p.every((x) => x >= 0 && x <= 1000), scope, '`memberPriorities` entries must be from 0 to 1000.');
    check(p.some((x) => x > 0), scope, '`memberPriorities` are all 0: no member could ever become primary. Give at least one member a priority above 0.');
  }
  return { replicas, zones, zoneCount, zoneSpread, hostSpread, zoneMinDomains, racks, replicationFactor };
}

/** A rack name from a zone name: zones are label values (may hold '_' or '.'), racks DNS labels. */
function rackName(zone: string): string {
  return zone.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 30) || 'rack';
}
