import { App, Chart, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { CassandraVersion, Engine, StatefulDatabase } from '../../src';

// A single Cassandra 5.0 node for development and CI: GossipingPropertyFileSnitch with its
// datacenter and rack, heap sized from the memory limit, `nodetool drain` before stop, and the
// default cassandra/cassandra superuser replaced by a generated one.
const app = new App();
const chart = new Chart(app, 'events', { namespace: 'events' });

const db = new StatefulDatabase(chart, 'db', {
  name: 'events-cassandra',
  engine: Engine.cassandra({ version: CassandraVersion.V5_0, datacenter: 'eu-west-1', rack: 'rack-a' }),
  storageSize: Size.gibibytes(100),
  cpu: kplus.Cpu.units(2),
  memory: Size.gibibytes(8),
});
db.connections.allowFrom(kplus.Namespaces.select(chart, 'consumers', { names: ['events-consumers'] }));

app.synth();
