import { ApiObject, App, Chart, Cron, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  BackupMethod, BackupSchedule, DatabasePriorityClass, Engine, Policy, PortRole, Retention, StatefulDatabase,
} from '../../src';

// Any other database image through Engine.custom(): ClickHouse, as its official image runs
// (ClickHouse/ClickHouse docker/server: Dockerfile, entrypoint.sh, docker_related_config.xml).
const app = new App();
const chart = new Chart(app, 'analytics', { namespace: 'analytics' });
const clickhouse = Engine.custom({
  name: 'clickhouse',
  image: 'docker.io/clickhouse/clickhouse-server',
  version: '24.8.4.13',
  ports: [{ name: 'http', port: 8123, role: PortRole.CLIENT }],
  dataPath: '/var/lib/clickhouse',
  // The Dockerfile creates user and group `clickhouse` as 101:101; run as non-root, the entrypoint
  // skips its chown and `clickhouse su` keeps 101:101.
  runAsUser: 101,
  // The entrypoint creates the user CLICKHOUSE_USER (default `default`) with CLICKHOUSE_PASSWORD and removes
  // `default`: both come from the credentials Secret, so clients log in with the Secret's username.
  usernameEnv: 'CLICKHOUSE_USER',
  passwordEnv: 'CLICKHOUSE_PASSWORD',
  // `/ping` needs no login (the entrypoint waits on it with wget, so wget is in the image).
  readinessCommand: ['wget', '--spider', '-q', 'http://127.0.0.1:8123/ping'],
  livenessCommand: ['wget', '--spider', '-q', 'http://127.0.0.1:8123/ping'],
  // Writes outside the data volume: the entrypoint writes users.d/default-user.xml; config.xml logs to
  // /var/log/clickhouse-server; /tmp for the shell. tmp_path, user_files_path, format_schema_path and
  // preprocessed configs are under /var/lib/clickhouse. Never config.d: an emptyDir there would hide the
  // image's docker_related_config.xml (listen_host ::) and the server would listen on localhost only.
  writablePaths: ['/tmp', '/var/log/clickhouse-server', '/etc/clickhouse-server/users.d'],
  minimumMemory: Size.gibibytes(1),
});
const priority = new DatabasePriorityClass(chart, 'priority', { name: 'database' });
const db = new StatefulDatabase(chart, 'db', {
  name: 'events',
  engine: clickhouse,
  storageSize: Size.gibibytes(100),
  memory: Size.gibibytes(8),
  priorityClassName: priority.name,
});
// CSI snapshots of the volume every 6 hours (8 kept), crash-consistent: a custom engine has no dumps, so no restore test.
new BackupSchedule(chart, 'backups', {
  database: db,
  methods: [BackupMethod.volumeSnapshot({
    snapshotClassName: 'ebs-csi-snapclass',
    schedule: Cron.schedule({ minute: '0', hour: '*/6' }),
    retention: Retention.keepLast(8),
  })],
});
Policy.suppress(db, 'DOK-RESTORE-VERIFIED', 'the library has no restore test for a custom engine (Engine.custom has no logical dumps to restore)');
const api = new kplus.Deployment(chart, 'api', {
  containers: [{ image: 'ghcr.io/example/events-api:3.1.0', envVariables: db.connectionEnv() }],
});
// The restricted Pod Security Standard: cdk8s-plus-28 sets neither the seccomp profile nor the dropped capabilities.
ApiObject.of(api).addJsonPatch(
  JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
  JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', { drop: ['ALL'] }),
);
db.connections.allowFrom(api);
Policy.enforce(app);
app.synth();
