import {
  CassandraVersion, Engine, MongoDbVersion, MysqlVersion, PortRole, PostgresVersion, RedisVersion, ReplicatedDatabase,
  ReplicatedDatabaseProps, Spread, UpdateStrategy,
} from '../src';
import { newChart, synthValid } from './support/synth';

const mongo = Engine.mongodb({ version: MongoDbVersion.V7_0 });
const cassandra = Engine.cassandra({ version: CassandraVersion.V4_1 });
const ZONES = ['a', 'b', 'c'];
const P = 'test/db: ';

function build(props: Partial<ReplicatedDatabaseProps>): () => void {
  return () => new ReplicatedDatabase(newChart(), 'db', { engine: mongo, name: 'db', zones: ZONES, ...props });
}

const cases: Array<[string, Partial<ReplicatedDatabaseProps>, string]> = [
  ['engine without a replicated topology', {
    engine: Engine.custom({ name: 'x', image: 'example.com/x', version: '1.0.0', ports: [{ name: 'c', port: 1, role: PortRole.CLIENT }], dataPath: '/d', runAsUser: 1 }),
  }, "`engine`: Engine 'x 1.0.0' has no replicated topology here. Use StatefulDatabase for one instance."],
  ['one replica', { replicas: 1 },
    '`replicas` (1) must be a whole number of at least 2; for one instance use StatefulDatabase.'],
  ['blockEvictions', { blockEvictions: true },
    '`blockEvictions` is for a single instance: a ReplicatedDatabase gets budgets that keep quorum (see `roleBudgets`); remove `blockEvictions`.'],
  ['empty zones', { zones: [] }, '`zones` is empty: name the zones, or leave the prop out.'],
  ['invalid zone', { zones: ['eu west'] }, '`zones` entry "eu west" is not a valid zone label value.'],
  ['duplicate zone', { zones: ['a', 'a', 'b'] }, '`zones` names a zone twice.'],
  ['zoneCount disagrees', { zoneCount: 2 }, '`zoneCount` (2) disagrees with `zones` (3 names): give one of them.'],
  ['zoneCount zero', { zones: undefined, zoneCount: 0 }, '`zoneCount` (0) must be a whole number from 1 to 64: a region has a handful of zones.'],
  ['maxSkew zero', { zoneSpread: Spread.required({ maxSkew: 0 }) }, '`zoneSpread.maxSkew` (0) must be a whole number from 1 to 2147483647.'],
  ['matchLabelKeys overlapping the selector', { zoneSpread: Spread.required({ matchLabelKeys: ['app.kubernetes.io/instance'] }) },
    '`zoneSpread` matchLabelKeys "app.kubernetes.io/instance" must be a valid label key that is not one of the selector\'s (app.kubernetes.io/name, app.kubernetes.io/instance, app.kubernetes.io/component).'],
  ['minDomains zero', { hostSpread: Spread.required({ minDomains: 0 }) }, '`hostSpread.minDomains` (0) must be a whole number from 1 to 64.'],
  ['minDomains beyond the zones leaves pods Pending', { replicas: 5, zoneSpread: Spread.required({ maxSkew: 1, minDomains: 5 }) },
    '`zoneSpread` minDomains (5) exceeds the 3 zones declared, so the scheduler allows at most maxSkew (1) members per zone: 2 of the 5 replicas would stay Pending. Lower minDomains to 3 or below, add zones, or lower `replicas`.'],
  ['no member to spare', { replicas: 2 },
    '2 replicas with a quorum of 2 leave no member to spare: any budget that keeps quorum blocks every drain forever. Raise `replicas` to at least 3.'],
  ['quorum lost with one zone (3 over 2 zones)', { zones: ['a', 'b'] },
    'losing one zone loses quorum: 3 replicas over 2 zone(s) put up to 2 in one zone, and 2 must stay up. Spread over more zones (`zones`, `zoneSpread`), change `replicas`, or accept it with `allowQuorumLossOnZoneFailure: true`.'],
  ['quorum lost on a single-zone cluster', { zones: ['a'] },
    'losing one zone loses quorum: 3 replicas over 1 zone(s) put up to 3 in one zone, and 2 must stay up. Spread over more zones (`zones`, `zoneSpread`), change `replicas`, or accept it with `allowQuorumLossOnZoneFailure: true`.'],
  ['quorum lost with preferred zone spread', { zoneSpread: Spread.preferred() },
    'losing one zone loses quorum: 3 replicas over 3 zone(s) put up to 3 in one zone, and 2 must stay up. Spread over more zones (`zones`, `zoneSpread`), change `replicas`, or accept it with `allowQuorumLossOnZoneFailure: true`.'],
  ['roleBudgets without role labels', { roleBudgets: true },
    "`roleBudgets` needs members labelled by role, and Engine 'mongodb 7.0.14' does not label its pods: remove `roleBudgets`."],
  ['synchronous standbys on MongoDB', { synchronousStandbys: 1 },
    "`synchronousStandbys` is a PostgreSQL (Patroni) setting; remove it for Engine 'mongodb 7.0.14'."],
  ['too many synchronous standbys', { engine: Engine.postgres({ version: PostgresVersion.V16 }), synchronousStandbys: 3 },
    '`synchronousStandbys` (3) must be a whole number from 0 to 2: at most `replicas` - 1.'],
  ['priorities on PostgreSQL', { engine: Engine.postgres({ version: PostgresVersion.V16 }), memberPriorities: [1, 1, 1] },
    "`memberPriorities` is a MongoDB replica-set setting; remove it for Engine 'postgresql 16.6'."],
  ['priorities count', { memberPriorities: [1, 1] }, '`memberPriorities` has 2 entries for 3 replicas: give one per member, by ordinal.'],
  ['priorities range', { memberPriorities: [1, 1, 2000] }, '`memberPriorities` entries must be from 0 to 1000.'],
  ['priorities all zero', { memberPriorities: [0, 0, 0] },
    '`memberPriorities` are all 0: no member could ever become primary. Give at least one member a priority above 0.'],
  ['racks on MongoDB', { racks: [{ name: 'r1' }] },
    "`racks` and `replicationFactor` are Cassandra settings; Engine 'mongodb 7.0.14' replicates whole datasets to every member: remove them."],
  ['replicas not divisible over racks', { engine: cassandra, replicas: 4 },
    '`replicas` (4) must divide evenly over the 3 racks, so that every rack holds the same share of the ring: use a multiple of 3.'],
  ['rack zone not declared', { engine: cassandra, racks: [{ name: 'r1', zone: 'x' }, { name: 'r2', zone: 'b' }, { name: 'r3', zone: 'c' }] },
    '`racks` "r1" is pinned to zone "x", which is not in `zones` (a, b, c).'],
  ['zone without a rack', { engine: cassandra, zones: ['a', 'b', 'c', 'd'], racks: [{ name: 'r1', zone: 'a' }, { name: 'r2', zone: 'b' }, { name: 'r3', zone: 'c' }] },
    '`zones` names "d", which no rack is pinned to: with `racks` pinned to zones, members run only in their racks\' zones. Add a rack for each zone, or remove it from `zones`.'],
  ['zoneCount beyond the racks\' zones', { engine: cassandra, zones: undefined, zoneCount: 4, racks: [{ name: 'r1', zone: 'a' }, { name: 'r2', zone: 'b' }, { name: 'r3', zone: 'c' }] },
    '`zoneCount` (4) disagrees with the 3 zone(s) the `racks` are pinned to: members run only in their racks\' zones. Give the racks\' count, or leave `zoneCount` out.'],
  ['rack name invalid', { engine: cassandra, racks: [{ name: 'Rack_1' }, { name: 'r2' }, { name: 'r3' }] },
    '`racks` name "Rack_1" must be a DNS label, and "db-Rack_1" at most 52 characters (it names the rack\'s StatefulSet).'],
  ['duplicate rack', { engine: cassandra, racks: [{ name: 'r1' }, { name: 'r1' }, { name: 'r2' }] }, '`racks` names a rack twice.'],
  ['replication factor above replicas', { engine: cassandra, replicationFactor: 5 },
    '`replicationFactor` (5) must be a whole number from 1 to 3: at most `replicas`.'],
  ['init scripts on Group Replication', { engine: Engine.mysql({ version: MysqlVersion.V8_4 }), initScripts: { 'a.sql': 'SELECT 1' } },
    '`initScripts` would run on every Group Replication member separately and make their transaction sets diverge, so members could not join: run them once through a Job against the primary after the group is up.'],
  ['TLS with Sentinel', { engine: Engine.redis({ version: RedisVersion.V7_4 }), tls: { issuerName: 'ca' } },
    '`tls` is not supported with Sentinel here (Sentinel needs its own TLS settings and clients their own CA handling): remove `tls` or use StatefulDatabase.'],
  ['partition beyond the members', { updateStrategy: UpdateStrategy.rollingUpdate({ partition: 4 }) },
    '`updateStrategy` partition (4) must be a whole number from 0 (update every member) to 3 (`replicas`: hold every member).'],
];

describe('ReplicatedDatabase errors', () => {
  test.each(cases)('%s', (_what, props, message) => {
    expect(build(props)).toThrow(P + message);
  });

  test('accepting quorum loss on zone failure is explicit, and then the report says so', () => {
    const chart = newChart();
    const db = new ReplicatedDatabase(chart, 'db', { engine: mongo, name: 'db', zones: ['a'], allowQuorumLossOnZoneFailure: true });
    synthValid(chart);
    expect(db.tolerance().zoneFailuresTolerated).toBe(0);
    expect(db.tolerance().summary).toBe('3 replicas over 1 zone; survives no zone or node loss; drains evict one pod at a time; quorum 2');
  });
});
