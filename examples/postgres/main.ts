import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Engine, PostgresVersion, StatefulDatabase } from '../../src';

const app = new App();
const chart = new Chart(app, 'orders', { namespace: 'shop' });
const db = new StatefulDatabase(chart, 'db', {
  name: 'orders-db',
  engine: Engine.postgres({ version: PostgresVersion.V16 }),
  storageSize: Size.gibibytes(50),
  databaseName: 'orders',
});
// DB_USERNAME/DB_PASSWORD: the application user `app` (owner of the `orders` database, Secret orders-db-app), not the superuser.
const api = new kplus.Deployment(chart, 'api', {
  containers: [{ image: 'ghcr.io/example/orders-api:1.4.2', envVariables: db.connectionEnv() }],
});
db.connections.allowFrom(api);
app.synth();
