import { App, Chart, Cron, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  BackupMethod, BackupSchedule, CassandraVersion, DatabasePriorityClass, Engine, Policy, Retention, StatefulDatabase,
} from '../../src';

// A single Cassandra 5.0 node for development and CI: GossipingPropertyFileSnitch with its
// datacenter and rack, heap sized from the memory limit, `nodetool drain` before stop, and the
// default cassandra/cassandra superuser replaced by a generated one.
const app = new App();
const chart = new Chart(app, 'events', { namespace: 'events' });

const priority = new DatabasePriorityClass(chart, 'priority', { name: 'database' });
const db = new StatefulDatabase(chart, 'db', {
  name: 'events-cassandra',
  engine: Engine.cassandra({ version: CassandraVersion.V5_0, datacenter: 'eu-west-1', rack: 'rack-a' }),
  storageSize: Size.gibibytes(100),
  cpu: kplus.Cpu.units(2),
  memory: Size.gibibytes(8),
  priorityClassName: priority.name,
});
// CSI snapshots of the volume every 6 hours after `nodetool flush` (8 kept). The library offers no restore test for
// Cassandra: its dumps are per-node SSTable snapshots that only sstableloader loads back.
new BackupSchedule(chart, 'backups', {
  database: db,
  methods: [BackupMethod.volumeSnapshot({
    snapshotClassName: 'ebs-csi-snapclass',
    schedule: Cron.schedule({ minute: '0', hour: '*/6' }),
    retention: Retention.keepLast(8),
  })],
});
Policy.suppress(db, 'DOK-RESTORE-VERIFIED', 'the library has no restore test for Cassandra (its backups load back only through sstableloader)');
db.connections.allowFrom(kplus.Namespaces.select(chart, 'consumers', { names: ['events-consumers'] }));

Policy.enforce(app);
app.synth();
