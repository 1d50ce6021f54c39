import { App, Cron, Duration, Size } from 'cdk8s';
import {
  ApplicationUser, BackupMethod, BackupSchedule, BackupTarget, Credentials, DatabasePriorityClass, DRPair, DrStrategy, Engine, MysqlVersion, Policy,
  Retention, ValkeyVersion, VolumeReplicationBackend,
} from '../../src';

// Two pairs whose storage replicates the data volumes; the passive sites' StatefulSets wait at zero replicas.
const app = new App();
const sites = [
  { name: 'dc1', zones: ['dc1-a', 'dc1-b', 'dc1-c'], trafficSourceCidrs: ['10.1.0.0/16'] },
  { name: 'dc2', zones: ['dc2-a', 'dc2-b', 'dc2-c'], trafficSourceCidrs: ['10.2.0.0/16'] },
];

// MySQL Group Replication on Ceph RBD, mirrored by ceph-csi through csi-addons VolumeReplication every 5 minutes.
const inventory = new DRPair(app, 'inventory', {
  namespaceName: 'inventory',
  sites,
  activeSite: 'dc1',
  database: {
    name: 'inventory',
    engine: Engine.mysql({ version: MysqlVersion.V8_4 }),
    storageSize: Size.gibibytes(40),
    storageClassName: 'ceph-rbd',
    credentials: Credentials.fromSecretName('inventory-credentials'),
    applicationUser: ApplicationUser.fromSecretName('inventory-app'),
    priorityClassName: 'database',
  },
  strategy: DrStrategy.volumeReplication(VolumeReplicationBackend.csiAddons({ provisioner: 'rbd.csi.ceph.com', interval: Duration.minutes(5) })),
  rpo: Duration.minutes(10),
});

// Valkey with Sentinel on Portworx, migrated by Stork every 15 minutes through an existing ClusterPair, with the
// engine's own quiesce (BGREWRITEAOF) before each copy.
const sessions = new DRPair(app, 'sessions', {
  namespaceName: 'web',
  sites,
  activeSite: 'dc1',
  database: {
    name: 'sessions',
    engine: Engine.valkey({ version: ValkeyVersion.V8_0 }),
    storageSize: Size.gibibytes(10),
    storageClassName: 'px-db',
    credentials: Credentials.fromSecretName('sessions-credentials'),
    applicationUser: ApplicationUser.superuser(),
    priorityClassName: 'database',
  },
  strategy: DrStrategy.volumeReplication(VolumeReplicationBackend.stork({ clusterPair: 'dc2', interval: Duration.minutes(15) })),
});

for (const site of sites) {
  // Each cluster gets the PriorityClass both pairs' database pods name (in the inventory chart of that cluster).
  new DatabasePriorityClass(inventory.chart(site.name), 'priority', { name: 'database' });
}
for (const pair of [inventory, sessions]) {
  // On the running site only (the passive one has no engine running): nightly dumps to the claim <name>-backups (14 kept),
  // each restored into a throwaway server and checked an hour later.
  const db = pair.database(pair.activeSite);
  new BackupSchedule(pair.chart(pair.activeSite), 'backups', {
    database: db,
    methods: [BackupMethod.logicalDump({
      schedule: Cron.daily(),
      target: BackupTarget.pvc({ claimName: `${db.name}-backups` }),
      retention: Retention.keepLast(14),
    })],
    verification: { schedule: Cron.schedule({ minute: '0', hour: '1' }) },
  });
}
Policy.enforce(app);
app.synth();
