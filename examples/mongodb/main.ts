import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Credentials, Engine, IssuerKind, MongoDbVersion, StatefulDatabase } from '../../src';

// MongoDB 7.0 with TLS from cert-manager (mongod needs the combined PEM output) and
// credentials from a Secret the platform team already manages.
const app = new App();
const chart = new Chart(app, 'catalog', { namespace: 'catalog' });

const db = new StatefulDatabase(chart, 'db', {
  name: 'catalog-mongo',
  engine: Engine.mongodb({ version: MongoDbVersion.V7_0 }),
  storageSize: Size.gibibytes(40),
  memory: Size.gibibytes(4),
  credentials: Credentials.fromSecretName('catalog-mongo-admin'),
  databaseName: 'catalog',
  tls: { issuerName: 'internal-ca', issuerKind: IssuerKind.CLUSTER_ISSUER },
});
db.connections.allowFrom(kplus.Pods.select(chart, 'readers', { labels: { 'app.kubernetes.io/part-of': 'catalog' } }));

app.synth();
