import { ApiObject, App, Chart, Cron, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  BackupMethod, BackupSchedule, BackupTarget, DatabasePriorityClass, Engine, Policy, RedisVersion, Retention, StatefulDatabase, ValkeyVersion,
} from '../../src';

// A session store on Valkey 8 (BSD licence), and a Redis 7.2 queue, each with its own volume
// and append-only persistence, for an air-gapped cluster that mirrors every image.
const app = new App();
const chart = new Chart(app, 'sessions', { namespace: 'web' });

const priority = new DatabasePriorityClass(chart, 'priority', { name: 'database' });
const sessions = new StatefulDatabase(chart, 'sessions', {
  name: 'sessions',
  engine: Engine.valkey({ version: ValkeyVersion.V8_0 }),
  storageSize: Size.gibibytes(5),
  memory: Size.gibibytes(2),
  imageRegistry: 'registry.internal.example:5000/mirror',
  imagePullSecrets: ['mirror-pull'],
  priorityClassName: priority.name,
});
const queue = new StatefulDatabase(chart, 'queue', {
  name: 'queue',
  engine: Engine.redis({ version: RedisVersion.V7_2 }),
  storageSize: Size.gibibytes(5),
  config: { 'maxmemory-policy': 'noeviction', 'appendfsync': 'always' },
  imageRegistry: 'registry.internal.example:5000/mirror',
  imagePullSecrets: ['mirror-pull'],
  priorityClassName: priority.name,
});
// Each: a nightly RDB dump to the claim <name>-backups (14 kept), loaded into a throwaway server and checked an hour later.
for (const db of [sessions, queue]) {
  new BackupSchedule(chart, `${db.node.id}-backups`, {
    database: db,
    methods: [BackupMethod.logicalDump({
      schedule: Cron.daily(),
      target: BackupTarget.pvc({ claimName: `${db.name}-backups` }),
      retention: Retention.keepLast(14),
    })],
    verification: { schedule: Cron.schedule({ minute: '0', hour: '1' }) },
  });
}

const web = new kplus.Deployment(chart, 'web', {
  containers: [{ image: 'registry.internal.example:5000/web:2.0.1', envVariables: { ...sessions.connectionEnv('SESSIONS_'), ...queue.connectionEnv('QUEUE_') } }],
});
// The restricted Pod Security Standard: cdk8s-plus-28 sets neither the seccomp profile nor the dropped capabilities.
ApiObject.of(web).addJsonPatch(
  JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
  JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', { drop: ['ALL'] }),
);
sessions.connections.allowFrom(web);
queue.connections.allowFrom(web);

Policy.enforce(app);
app.synth();
