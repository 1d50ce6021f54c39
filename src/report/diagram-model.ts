import { DatabaseDiagram, DiagramBackup, DiagramBudget, DiagramLink, DiagramMember } from './diagram/database-diagram';
import { scheduleInWords } from './schedule-words';
import { describeDuration } from '../dr/recovery-objectives';
import {
  HINT_BACKS_UP, HINT_RPO_SECONDS, HINT_VERIFIES, HINT_ZONES, LABEL_INSTANCE, annotationsOf, isDatabaseWorkload, labelsOf,
  numberHint, objectNamespace, podSpecOf, podTemplateOf, replicasOf, runtimeLabelKeys, runtimeRoleValues, selectorMatches,
} from '../policy/manifest';
import { ANNOTATION_DECISION, ANNOTATION_ENGINE } from '../private/labels';

const ZONE_KEY = 'topology.kubernetes.io/zone';

/**
 * The pictures of a chart's databases, read from its rendered objects (so escape-hatch edits show): one per database
 * instance, its StatefulSets' members placed in zone columns, the budgets that select them, the backups that name it.
 * `links` are the DR links of each database, by instance name (a DRPair knows them; the objects do not).
 */
export function diagramsOf(objects: any[], links = new Map<string, DiagramLink[]>(), summaries = new Map<string, string>()): DatabaseDiagram[] {
  const byInstance = new Map<string, any[]>();
  for (const o of objects.filter(isDatabaseWorkload)) {
    const key = `${objectNamespace(o)}/${labelsOf(o)[LABEL_INSTANCE] ?? o.metadata?.name}`;
    byInstance.set(key, [...byInstance.get(key) ?? [], o]);
  }
  const index = indexOf(objects);
  return [...byInstance.values()].map((sets) => diagramOf(sets, index, links, summaries));
}

/** Budgets and backup CronJobs by namespace and instance, built once: a chart of a thousand databases stays linear. */
interface ReportIndex {
  /** Budgets by `<namespace>/<instance label of their selector>`; `<namespace>/` holds those without one. */
  readonly budgets: Map<string, any[]>;
  /** CronJobs by `<namespace>/<backs-up or verifies-restore-of>`. */
  readonly backups: Map<string, any[]>;
  readonly verifications: Set<string>;
}

function indexOf(objects: any[]): ReportIndex {
  const budgets = new Map<string, any[]>();
  const backups = new Map<string, any[]>();
  const verifications = new Set<string>();
  const add = (map: Map<string, any[]>, key: string, o: any) => map.set(key, [...map.get(key) ?? [], o]);
  for (const o of objects) {
    const ns = objectNamespace(o);
    if (o.kind === 'PodDisruptionBudget') add(budgets, `${ns}/${o.spec?.selector?.matchLabels?.[LABEL_INSTANCE] ?? ''}`, o);
    if (o.kind !== 'CronJob') continue;
    const backsUp = annotationsOf(o)[HINT_BACKS_UP];
    if (backsUp !== undefined) add(backups, `${ns}/${backsUp}`, o);
    const verifies = annotationsOf(o)[HINT_VERIFIES];
    if (verifies !== undefined) verifications.add(`${ns}/${verifies}`);
  }
  return { budgets, backups, verifications };
}

function diagramOf(sets: any[], index: ReportIndex, links: Map<string, DiagramLink[]>, summaries: Map<string, string>): DatabaseDiagram {
  const first = sets[0];
  const namespace = objectNamespace(first);
  const instance = labelsOf(first)[LABEL_INSTANCE] ?? first.metadata?.name;
  const engine = annotationsOf(first)[ANNOTATION_ENGINE];
  const pinned = sets.map(zonesAllowed);
  const zones = [...new Set(pinned.flat())];
  if (zones.length === 0) {
    const declared = numberHint(first, HINT_ZONES);
    for (let i = 1; i <= (declared ?? 0); i++) zones.push(`zone ${i}`);
  }
  const runtimeKeys = runtimeLabelKeys(first);
  const templates = sets.map((s) => podTemplateOf(s)?.metadata?.labels ?? {});
  const budgetObjects = [...index.budgets.get(`${namespace}/${instance}`) ?? [], ...index.budgets.get(`${namespace}/`) ?? []]
    .filter((b) => templates.some((labels) => selectorMatches(withoutKeys(b.spec?.selector, runtimeKeys), labels)));
  const members: DiagramMember[] = [];
  sets.forEach((s, si) => {
    const own = pinned[si];
    for (let i = 0; i < replicasOf(s); i++) {
      // A StatefulSet pinned to one zone (a Cassandra rack) places its members there; an even spread over the zones
      // places ordinal i in zone i mod zones, which is where the scheduler's maxSkew 1 puts them on an empty cluster.
      const zone = own.length === 1 ? own[0] : evenlySpread(s) && zones.length > 0 ? zones[i % zones.length] : undefined;
      // Roles move at runtime; the picture shows the start: the first member bootstraps the primary (the members start
      // in order, and each engine's bootstrap makes ordinal 0 the first primary).
      const role = runtimeKeys.length ? (si === 0 && i === 0 ? 'primary' : 'replica') : undefined;
      const labels = podTemplateOf(s)?.metadata?.labels ?? {};
      const budget = budgetObjects.find((b) => selectorMatches(withoutKeys(b.spec?.selector, runtimeKeys), labels)
        && roleMatches(b, s, runtimeKeys, role));
      members.push({ name: `${s.metadata?.name}-${i}`, zone, role, budget: budget?.metadata?.name });
    }
  });
  const budgets: DiagramBudget[] = budgetObjects.map((b) => ({
    name: b.metadata?.name, selects: selectsText(b.spec?.selector, runtimeKeys), allows: allowsText(b),
  }));
  const verified = index.verifications.has(`${namespace}/${instance}`);
  const backups: DiagramBackup[] = (index.backups.get(`${namespace}/${instance}`) ?? [])
    .map((c) => ({
      method: methodOf(c.metadata?.name ?? '', instance),
      schedule: scheduleInWords(c.spec?.schedule, c.spec?.timeZone),
      rpo: numberHint(c, HINT_RPO_SECONDS) !== undefined ? describeDuration(numberHint(c, HINT_RPO_SECONDS)) : 'not stated',
      verified,
    }));
  // Continuous archiving runs inside the database pods (no CronJob): its hints are on the StatefulSet.
  const archiving = sets.find((s) => annotationsOf(s)[HINT_BACKS_UP] === instance);
  if (archiving) {
    const rpo = numberHint(archiving, HINT_RPO_SECONDS);
    backups.push({ method: 'continuous archiving', schedule: 'each WAL segment', rpo: rpo !== undefined ? describeDuration(rpo) : 'not stated', verified: false });
  }
  return {
    title: engine ? `${instance} (${engine})` : instance,
    zones,
    members,
    budgets,
    backups,
    links: links.get(instance) ?? [],
    summary: summaries.get(instance),
  };
}

/** The method of a backup CronJob, from the suffix the library names it with (`<instance>-snapshots`). */
function methodOf(name: string, instance: string): string {
  const suffix = name.startsWith(`${instance}-`) ? name.slice(instance.length + 1) : name;
  return ({ 'snapshots': 'volume snapshots', 'dumps': 'logical dumps', 'base-backups': 'base backups (archiving)' } as Record<string, string>)[suffix] ?? suffix;
}

/** Zone values a pod template's required node affinity allows (In on the zone key, in every term). */
function zonesAllowed(s: any): string[] {
  const terms = podSpecOf(s)?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  const values = new Set<string>();
  for (const t of terms) {
    for (const e of t?.matchExpressions ?? []) if (e?.key === ZONE_KEY && e.operator === 'In') for (const v of e.values ?? []) values.add(v);
  }
  const selector = podSpecOf(s)?.nodeSelector?.[ZONE_KEY];
  if (selector) values.add(selector);
  return [...values];
}

function evenlySpread(s: any): boolean {
  return (podSpecOf(s)?.topologySpreadConstraints ?? []).some((c: any) => c?.topologyKey === ZONE_KEY && c.maxSkew === 1);
}

function withoutKeys(selector: any, keys: string[]): any {
  if (!selector?.matchLabels) return selector;
  return { ...selector, matchLabels: Object.fromEntries(Object.entries(selector.matchLabels).filter(([k]) => !keys.includes(k))) };
}

/** Whether a budget's role term (a runtime label) fits the role the picture gives a member. */
function roleMatches(budget: any, controller: any, runtimeKeys: string[], role: string | undefined): boolean {
  const values = Object.entries(budget.spec?.selector?.matchLabels ?? {}).filter(([k]) => runtimeKeys.includes(k)).map(([, v]) => String(v));
  if (values.length === 0) return (budget.spec?.selector?.matchExpressions ?? []).every((e: any) => !runtimeKeys.includes(e?.key));
  // The controller's hint names the primary's value; without one, the usual names.
  const primaryValue = runtimeRoleValues(controller)?.primary;
  const primary = values.some((v) => (primaryValue ? v === primaryValue : /^(primary|master|leader|writer)$/i.test(v)));
  return role === 'primary' ? primary : !primary;
}

function selectsText(selector: any, runtimeKeys: string[]): string {
  const roles = Object.entries(selector?.matchLabels ?? {}).filter(([k]) => runtimeKeys.includes(k)).map(([k, v]) => `${k}=${v}`);
  const other = (selector?.matchExpressions ?? []).filter((e: any) => runtimeKeys.includes(e?.key)).map((e: any) => `${e.key} ${e.operator} ${(e.values ?? []).join(',')}`);
  return [...roles, ...other].join(', ') || 'all members';
}

function allowsText(budget: any): string {
  const spec = budget.spec ?? {};
  const figure = spec.maxUnavailable !== undefined ? `maxUnavailable ${spec.maxUnavailable}` : spec.minAvailable !== undefined ? `minAvailable ${spec.minAvailable}` : 'no limit';
  const decision = annotationsOf(budget)[ANNOTATION_DECISION];
  return decision ? `${figure}: ${decision}` : figure;
}
