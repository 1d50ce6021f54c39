import { IConstruct } from 'constructs';
import { checkPropTypes } from './validate-prop-types';
import type { ReplicatedDatabaseProps } from '../constructs/replicated-database-props';
import { EngineDefinition, RackPlan } from '../engines/engine-definition';
import { checkFlag } from '../private/choices';
import { check } from '../private/errors';
import { DatabaseLabels, LABEL_COMPONENT, LABEL_INSTANCE, LABEL_NAME } from '../private/labels';
import { MAX_STATEFULSET_NAME, isDnsLabel, isLabelValue, isQualifiedKey } from '../private/names';
import { checkInteger } from '../private/numbers';
import {
  HOST_KEY, NodeRequirementView, PendingPod, SchedulingGroup, Spread, SpreadConstraintView, ZONE_KEY, modelCluster, placePods, spreadConstraint,
} from '../topology/spread';

const SELECTOR_KEYS = [LABEL_NAME, LABEL_INSTANCE, LABEL_COMPONENT];

/**
 * The most members a ReplicatedDatabase takes: the synth-time scheduling check models a node per
 * member in every zone (as many zones as members when none are declared) and places each member,
 * which takes seconds at 200 members. Engines with a lower limit of their own are held to it
 * (`ENGINE_MAX_REPLICAS`).
 */
export const MAX_REPLICAS = 100;
/** The most zones modelled: cloud regions have a handful; more is a typo, and each is modelled with a node per member. */
export const MAX_ZONES = 64;
/** Member limits of the engines themselves, with the reason for the message. */
const ENGINE_MAX_REPLICAS: Record<string, { max: number; why: string }> = {
  mongodb: { max: 50, why: 'a MongoDB replica set has at most 50 members' },
  mysql: { max: 9, why: 'a MySQL Group Replication group has at most 9 members' },
};

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
  checkPropTypes(scope, props);
  check(def.replication !== undefined, scope,
    `\`engine\`: ${engine} has no replicated topology here${def.replicationUnsupported ? `: ${def.replicationUnsupported}` : ''}. Use StatefulDatabase for one instance.`);
  // Checked first: the scheduling check below builds a node and a pod per member.
  const replicas = props.replicas ?? 3;
  check(Number.isInteger(replicas) && replicas >= 2, scope,
    `\`replicas\` (${replicas}) must be a whole number of at least 2; for one instance use StatefulDatabase.`);
  const limit = ENGINE_MAX_REPLICAS[def.family];
  check(replicas <= (limit?.max ?? MAX_REPLICAS), scope, limit
    ? `\`replicas\` (${replicas}) must be at most ${limit.max}: ${limit.why}.`
    : `\`replicas\` (${replicas}) must be at most ${MAX_REPLICAS} members in one ReplicatedDatabase: split larger fleets into several databases (Cassandra: several datacenters).`);
  check(props.blockEvictions === undefined, scope,
    '`blockEvictions` is for a single instance: a ReplicatedDatabase gets budgets that keep quorum (see `roleBudgets`); remove `blockEvictions`.');

  check(def.family !== 'mysql' || props.initScripts === undefined, scope,
    '`initScripts` would run on every Group Replication member separately and make their transaction sets diverge, so members could not join: run them once through a Job against the primary after the group is up.');
  check(!(def.family === 'redis' || def.family === 'valkey') || props.tls === undefined, scope,
    '`tls` is not supported with Sentinel here (Sentinel needs its own TLS settings and clients their own CA handling): remove `tls` or use StatefulDatabase.');
  const zones = props.zones;
  if (zones !== undefined) {
    check(zones.length > 0, scope, '`zones` is empty: name the zones, or leave the prop out.');
    check(zones.length <= MAX_ZONES, scope, `\`zones\` names ${zones.length} zones; at most ${MAX_ZONES} are modelled: a region has a handful.`);
    for (const z of zones) check(isLabelValue(z) && z.length > 0, scope, `\`zones\` entry "${z}" is not a valid zone label value.`);
    check(new Set(zones).size === zones.length, scope, '`zones` names a zone twice.');
    check(props.zoneCount === undefined || props.zoneCount === zones.length, scope,
      `\`zoneCount\` (${props.zoneCount}) disagrees with \`zones\` (${zones.length} names): give one of them.`);
  }
  const zoneCount = zones?.length ?? props.zoneCount;
  if (zoneCount !== undefined) {
    checkInteger(scope, 'zoneCount', zoneCount, { min: 1, max: MAX_ZONES, hint: 'a region has a handful of zones' });
  }

  // Cassandra racks, each pinned to one zone by required node affinity, need no zone spread: with
  // nodeAffinityPolicy Honor a rack's pods see their own zone as the only domain, so a zone constraint
  // either changes nothing (no minDomains) or, with minDomains above 1, takes the global minimum as 0
  // and leaves every pod after the first of each rack Pending. Racks already place one replica of
  // each range per zone (NetworkTopologyStrategy over racks).
  const rackSpecs = def.family === 'cassandra'
    ? props.racks ?? (zones ? zones.map((z) => ({ name: rackName(z), zone: z })) : [{ name: 'rack1', zone: undefined }])
    : undefined;
  const pinnedRacks = rackSpecs?.filter((r) => r.zone !== undefined).length ?? 0;
  const everyRackPinned = rackSpecs !== undefined && rackSpecs.length > 0 && pinnedRacks === rackSpecs.length;
  const zoneSpread = props.zoneSpread ?? (everyRackPinned ? Spread.none()
    : zoneCount !== undefined ? Spread.required({ maxSkew: 1 }) : Spread.preferred());
  const hostSpread = props.hostSpread ?? Spread.preferred();
  // Only a required zone spread (or a rack pinned to a zone) bounds the members per zone: under a preferred spread or
  // none the scheduler may put every member in one zone, so a declared count would change nothing.
  check(props.zoneCount === undefined || zones !== undefined || zoneSpread.isRequired || pinnedRacks > 0, scope,
    `\`zoneCount\` (${props.zoneCount}) is set, but \`zoneSpread\` is not required, so the scheduler may still put every member in one zone and the count changes nothing: use \`zoneSpread: Spread.required()\` or remove \`zoneCount\`.`);
  checkFlag(scope, 'roleBudgets', props.roleBudgets);
  for (const [prop, spread] of [['zoneSpread', zoneSpread], ['hostSpread', hostSpread]] as const) {
    if (spread.whenUnsatisfiable !== undefined) checkInteger(scope, `${prop}.maxSkew`, spread.maxSkew, { min: 1 });
    // minDomains sizes the modelled cluster: beyond the members there is nothing more to spread.
    if (spread.minDomains !== undefined) checkInteger(scope, `${prop}.minDomains`, spread.minDomains, { min: 1, max: Math.max(replicas, MAX_ZONES) });
    for (const key of spread.matchLabelKeys ?? []) {
      // The API server refuses a key that is also in the constraint's label selector.
      check(isQualifiedKey(key) && !SELECTOR_KEYS.includes(key), scope,
        `\`${prop}\` matchLabelKeys "${key}" must be a valid label key that is not one of the selector's (${SELECTOR_KEYS.join(', ')}).`);
    }
  }
  // minDomains defaults to the zones declared, except where a rack is pinned to a zone: its pods count
  // one domain only (see above), so a default there would leave them Pending.
  const zoneMinDomains = zoneSpread.isRequired ? (zoneSpread.minDomains ?? (pinnedRacks > 0 ? undefined : zoneCount)) : undefined;

  let racks: RackPlan[] | undefined;
  let replicationFactor: number | undefined;
  if (def.family === 'cassandra') {
    replicationFactor = props.replicationFactor ?? 3;
    checkInteger(scope, 'replicationFactor', replicationFactor, { min: 1, max: replicas, hint: 'at most `replicas`' });
    const specs = rackSpecs!;
    check(specs.length > 0, scope, '`racks` is empty: give at least one rack, or leave the prop out.');
    check(replicas % specs.length === 0, scope,
      `\`replicas\` (${replicas}) must divide evenly over the ${specs.length} racks, so that every rack holds the same share of the ring: use a multiple of ${specs.length}.`);
    for (const r of specs) {
      check(isDnsLabel(r.name) && `${name}-${r.name}`.length <= MAX_STATEFULSET_NAME, scope,
        `\`racks\` name "${r.name}" must be a DNS label, and "${name}-${r.name}" at most ${MAX_STATEFULSET_NAME} characters (it names the rack's StatefulSet).`);
      check(r.zone === undefined || zones === undefined || zones.includes(r.zone), scope,
        `\`racks\` "${r.name}" is pinned to zone "${r.zone}", which is not in \`zones\` (${zones?.join(', ')}).`);
    }
    check(new Set(specs.map((r) => r.name)).size === specs.length, scope, '`racks` names a rack twice.');
    if (props.racks !== undefined && everyRackPinned && zones !== undefined) {
      // Members go only to their racks' zones: a declared zone without a rack would hold nothing and change nothing.
      const rackZones = new Set(specs.map((r) => r.zone));
      const idle = zones.filter((z) => !rackZones.has(z));
      check(idle.length === 0, scope,
        `\`zones\` names ${idle.map((z) => `"${z}"`).join(', ')}, which no rack is pinned to: with \`racks\` pinned to zones, members run only in their racks' zones. Add a rack for each zone, or remove it from \`zones\`.`);
    }
    if (props.racks !== undefined && everyRackPinned && zones === undefined && props.zoneCount !== undefined) {
      const rackZones = new Set(specs.map((r) => r.zone)).size;
      check(props.zoneCount === rackZones, scope,
        `\`zoneCount\` (${props.zoneCount}) disagrees with the ${rackZones} zone(s) the \`racks\` are pinned to: members run only in their racks' zones. Give the racks' count, or leave \`zoneCount\` out.`);
    }
    racks = specs.map((r) => ({ name: r.name, zone: r.zone, replicas: replicas / specs.length, statefulSetName: `${name}-${r.name}` }));
  } else {
    check(props.racks === undefined && props.replicationFactor === undefined, scope,
      `\`racks\` and \`replicationFactor\` are Cassandra settings; ${engine} replicates whole datasets to every member: remove them.`);
  }
  if (props.synchronousStandbys !== undefined) {
    check(def.family === 'postgresql', scope, `\`synchronousStandbys\` is a PostgreSQL (Patroni) setting; remove it for ${engine}.`);
    checkInteger(scope, 'synchronousStandbys', props.synchronousStandbys, { max: replicas - 1, hint: 'at most `replicas` - 1' });
  }
  if (props.memberPriorities !== undefined) {
    const p = props.memberPriorities;
    check(def.family === 'mongodb', scope, `\`memberPriorities\` is a MongoDB replica-set setting; remove it for ${engine}.`);
    check(p.length === replicas, scope, `\`memberPriorities\` has ${p.length} entries for ${replicas} replicas: give one per member, by ordinal.`);
    check(p.every((x) => x >= 0 && x <= 1000), scope, '`memberPriorities` entries must be from 0 to 1000.');
    check(p.some((x) => x > 0), scope, '`memberPriorities` are all 0: no member could ever become primary. Give at least one member a priority above 0.');
  }
  const layout: ReplicationLayout = { replicas, zones, zoneCount, zoneSpread, hostSpread, zoneMinDomains, racks, replicationFactor };
  checkSchedulable(scope, props, schedulingGroups(props, def, name, layout), layout);
  return layout;
}

/**
 * The StatefulSets of the layout as kube-scheduler will see them: the same spread constraints
 * (`spreadConstraint`, called as ReplicatedDatabase calls it), the same required node affinity (the
 * user's requirements and the zone requirement in one term, as the assembly writes them) and
 * nodeSelector. test/cassandra-racks.test.ts checks that the model gives the same placement for
 * these and for the synthesized StatefulSets read back.
 */
export function schedulingGroups(props: ReplicatedDatabaseProps, def: EngineDefinition, name: string, layout: ReplicationLayout): SchedulingGroup[] {
  const selector = new DatabaseLabels(def.family, name, def.version, {}).selector;
  const constraints = layoutSpreadConstraints(layout, selector) as SpreadConstraintView[];
  const user: NodeRequirementView[] = (props.requiredNodeAffinity ?? []).map((r) => ({ key: r.key, operator: r.matchOperator, values: r.values }));
  const nodeSelector = {
    ...props.nodeSelector,
    ...(props.dedicatedNodes ? { [props.dedicatedNodes.labelKey]: props.dedicatedNodes.labelValue } : {}),
  };
  const group = (groupName: string, replicas: number, zones: string[] | undefined): SchedulingGroup => {
    const terms = [...user, ...(zones && zones.length > 0 ? [{ key: ZONE_KEY, operator: 'In', values: zones }] : [])];
    return {
      name: groupName,
      replicas,
      // The rack label is left out: no constraint the library writes selects on it.
      labels: selector,
      nodeSelector: Object.keys(nodeSelector).length > 0 ? nodeSelector : undefined,
      nodeSelectorTerms: terms.length > 0 ? [terms] : undefined,
      constraints,
    };
  };
  return layout.racks
    ? layout.racks.map((r) => group(r.statefulSetName, r.replicas, r.zone ? [r.zone] : undefined))
    : [group(name, layout.replicas, layout.zones)];
}

/** The layout's topology spread constraints: what ReplicatedDatabase renders and what the check models. */
export function layoutSpreadConstraints(layout: ReplicationLayout, selector: Record<string, string>) {
  return [
    spreadConstraint(layout.zoneSpread, ZONE_KEY, selector, layout.zoneMinDomains),
    spreadConstraint(layout.hostSpread, HOST_KEY, selector, layout.hostSpread.minDomains),
  ].filter((c): c is NonNullable<typeof c> => c !== undefined);
}

/**
 * The zones of the modelled cluster: the declared ones; else those the racks and the user's node
 * requirements name, completed with anonymous zones up to `zoneCount`, or, when no count is
 * declared either, up to as many as any constraint could want (an unknown cluster is not held
 * against the layout).
 */
function modelZones(props: ReplicatedDatabaseProps, layout: ReplicationLayout): string[] {
  if (layout.zones) return layout.zones;
  const named = new Set<string>();
  for (const r of layout.racks ?? []) if (r.zone) named.add(r.zone);
  for (const r of props.requiredNodeAffinity ?? []) if (r.key === ZONE_KEY && r.matchOperator === 'In') (r.values ?? []).forEach((v) => named.add(v));
  if (props.nodeSelector?.[ZONE_KEY]) named.add(props.nodeSelector[ZONE_KEY]);
  const count = layout.zoneCount ?? Math.max(layout.replicas, layout.zoneMinDomains ?? 1, named.size);
  const zones = [...named];
  for (let i = 1; zones.length < count; i++) if (!named.has(`zone-${i}`)) zones.push(`zone-${i}`);
  return zones;
}

/**
 * Refuses a layout that leaves pods Pending: the scheduler model of topology/spread.ts places every
 * member on a cluster with the modelled zones and a node per member in each zone, so what stays
 * Pending there stays Pending on any cluster with these zones.
 */
function checkSchedulable(scope: IConstruct, props: ReplicatedDatabaseProps, groups: SchedulingGroup[], layout: ReplicationLayout): void {
  const zones = modelZones(props, layout);
  const { pending } = placePods(modelCluster(zones, layout.replicas), groups);
  if (pending.length === 0) return;
  check(false, scope, pendingMessage(pending, layout, zones));
}

function pendingMessage(pending: PendingPod[], layout: ReplicationLayout, zones: string[]): string {
  const first = pending[0];
  const rack = layout.racks?.find((r) => r.statefulSetName === first.group);
  const who = rack ? `rack "${rack.name}"` : `StatefulSet "${first.group}"`;
  const stay = `${pending.length} of the ${layout.replicas} replicas would stay Pending`;
  if (first.why.cause === 'node-affinity') {
    return `no node can run the pods of ${who}: \`requiredNodeAffinity\`, \`nodeSelector\`, \`dedicatedNodes\` and the zone requirement (${zones.join(', ')}) exclude every node, so ${stay}. Make \`requiredNodeAffinity\` and \`nodeSelector\` allow the declared zones.`;
  }
  const c = first.why.constraint!;
  const prop = c.topologyKey === ZONE_KEY ? 'zoneSpread' : 'hostSpread';
  const unit = c.topologyKey === ZONE_KEY ? 'zone' : 'node';
  const domains = first.why.eligibleDomains ?? [];
  if (c.minDomains !== undefined && domains.length < c.minDomains) {
    const atMost = `takes the global minimum as 0 and allows at most maxSkew (${c.maxSkew}) members per ${unit}: ${stay}`;
    if (!rack?.zone && domains.length === zones.length && zones.length === layout.zoneCount) {
      return `\`${prop}\` minDomains (${c.minDomains}) exceeds the ${layout.zoneCount} zones declared, so the scheduler allows at most maxSkew (${c.maxSkew}) members per zone: ${stay}. Lower minDomains to ${layout.zoneCount} or below, add zones, or lower \`replicas\`.`;
    }
    if (rack?.zone) {
      return `\`${prop}\` minDomains (${c.minDomains}) exceeds the 1 zone the pods of ${who} may use: its StatefulSet is pinned to zone ${rack.zone} by required node affinity, and with nodeAffinityPolicy Honor the scheduler counts only the zones a pod may use as domains, so it ${atMost}. A rack pinned to one zone needs no zone spread: leave \`zoneSpread\` out (or give \`Spread.none()\`, or a spread without minDomains).`;
    }
    return `\`${prop}\` minDomains (${c.minDomains}) exceeds the ${domains.length} ${unit}(s) the pods of ${who} may use (${domains.join(', ')}): with nodeAffinityPolicy Honor the scheduler counts only the ${unit}s their \`requiredNodeAffinity\`, \`nodeSelector\` and zones allow as domains, so it ${atMost}. Lower minDomains to ${domains.length} or below, or widen \`requiredNodeAffinity\` and \`nodeSelector\` to the declared zones.`;
  }
  return `\`${prop}\` (maxSkew ${c.maxSkew}) leaves ${first.pod} without a node: the ${unit}s its pods may use (${domains.join(', ')}) already hold ${first.why.globalMinimum} + maxSkew members or more, so ${stay}. Raise maxSkew, or make the spread preferred.`;
}

/** A rack name from a zone name: zones are label values (may hold '_' or '.'), racks DNS labels. */
function rackName(zone: string): string {
  return zone.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 30) || 'rack';
}
