import { newChart, synthValid } from './synth';
import { CassandraVersion, Engine, IPolicyRule, MongoDbVersion, MysqlVersion, PolicyContext, PostgresVersion, ReplicatedDatabase, RuleStatus } from '../../src';

/** Labels of the database pods the hand-built objects of the disruption rule tests select. */
export const DB_LABELS = { 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/component': 'database' };

/** A policy/v1 PodDisruptionBudget in namespace `db`. */
export function budget(name: string, selector: any, limits: { minAvailable?: number | string; maxUnavailable?: number | string }): any {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'db' }, spec: { selector, ...limits } };
}

/** A ClusterIP Service port. */
export interface ServicePort {
  readonly port: number;
  readonly targetPort?: number | string;
  readonly name?: string;
}

/** A ClusterIP Service in namespace `db`. */
export function service(name: string, selector: Record<string, string>, ports: ServicePort[]): any {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'db' }, spec: { selector, ports } };
}

/** A NetworkPolicy in namespace `db`. */
export function networkPolicy(name: string, spec: any): any {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'db' }, spec };
}

/** A database container serving a client and a peer port, and an exporter serving metrics. */
export const DB_CONTAINERS = {
  containers: [
    {
      name: 'db',
      image: 'postgres:16.6',
      ports: [{ name: 'postgresql', containerPort: 5432 }, { name: 'patroni', containerPort: 8008 }],
    },
    { name: 'exporter', image: 'exporter:0.15.0', ports: [{ name: 'metrics', containerPort: 9187 }] },
  ],
};

/**
 * What the library synthesizes over three zones: a MongoDB replica set, a Cassandra ring of three racks, Postgres (Patroni)
 * with role budgets, and MySQL group replication whose role labeller labels the pods.
 */
export function synthesizedDatabases(): any[] {
  const zones = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
  const chart = newChart('db');
  new ReplicatedDatabase(chart, 'catalog', { name: 'catalog', zones, engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }) });
  new ReplicatedDatabase(chart, 'events', { name: 'events', zones, replicas: 6, engine: Engine.cassandra({ version: CassandraVersion.V5_0, datacenter: 'eu-west' }) });
  new ReplicatedDatabase(chart, 'orders', { name: 'orders', zones, engine: Engine.postgres({ version: PostgresVersion.V16 }), roleBudgets: true });
  new ReplicatedDatabase(chart, 'billing', { name: 'billing', zones, engine: Engine.mysql({ version: MysqlVersion.V8_4 }) });
  return synthValid(chart);
}

/** Every verdict of `rule` over the synthesized objects is compliant or not applicable, and at least one object is in scope. */
export function verdictsOver(rule: IPolicyRule, manifests: any[]): { compliant: number; problems: string[] } {
  const context = new PolicyContext(manifests);
  const verdicts = manifests.map((m) => ({ ref: `${m.kind} ${m.metadata?.name}`, verdict: rule.evaluate(m, context) }));
  return {
    compliant: verdicts.filter((v) => v.verdict.status === RuleStatus.COMPLIANT).length,
    problems: verdicts.filter((v) => v.verdict.status === RuleStatus.NON_COMPLIANT).map((v) => `${v.ref}: ${v.verdict.detail}`),
  };
}
