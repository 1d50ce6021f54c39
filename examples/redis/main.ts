import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Engine, StatefulDatabase, ValkeyVersion, RedisVersion } from '../../src';

// A session store on Valkey 8 (BSD licence), and a Redis 7.2 queue, each with its own volume
// and append-only persistence, for an air-gapped cluster that mirrors every image.
const app = new App();
const chart = new Chart(app, 'sessions', { namespace: 'web' });

const sessions = new StatefulDatabase(chart, 'sessions', {
  name: 'sessions',
  engine: Engine.valkey({ version: ValkeyVersion.V8_0 }),
  storageSize: Size.gibibytes(5),
  memory: Size.gibibytes(2),
  imageRegistry: 'registry.internal.example:5000/mirror',
  imagePullSecrets: ['mirror-pull'],
});
const queue = new StatefulDatabase(chart, 'queue', {
  name: 'queue',
  engine: Engine.redis({ version: RedisVersion.V7_2 }),
  storageSize: Size.gibibytes(5),
  config: { 'maxmemory-policy': 'noeviction', 'appendfsync': 'always' },
  imageRegistry: 'registry.internal.example:5000/mirror',
  imagePullSecrets: ['mirror-pull'],
});

const web = new kplus.Deployment(chart, 'web', {
  containers: [{ image: 'registry.internal.example:5000/web:2.0.1', envVariables: { ...sessions.connectionEnv('SESSIONS_'), ...queue.connectionEnv('QUEUE_') } }],
});
sessions.connections.allowFrom(web);
queue.connections.allowFrom(web);

app.synth();
