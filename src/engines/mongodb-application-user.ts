import { applicationUserJob } from './application-user-job';
import { EngineContext, EngineJob } from './engine-definition';
import { secretEnv } from './probes';

/** Where the Job finds the writer: the single instance's Service, or every member of a replica set. */
export interface MongoApplicationUserTarget {
  /** `host:port` of the Service, or of every replica set member. */
  readonly hosts: string[];
  /** The replica set's name: the driver then finds the primary among `hosts` and follows it. */
  readonly replicaSet?: string;
}

/** MongoDB's own databases: roles on them reach beyond the application's data. */
const RESERVED_DATABASES = ['admin', 'local', 'config'];

/**
 * Creates the application user against the primary, once one answers, with exactly `readWrite` and `dbAdmin` on the
 * application's database, and sets its password from the Secret on every run (a changed Secret is applied by the
 * next Job). Runs as the root user (the image's `MONGO_INITDB_ROOT_*`, from the credentials Secret).
 *
 * mongosh reads credentials, names and the password from `process.env` inside the script (never from argv, never
 * spliced into the script's text) and passes them to createUser/updateUser as data. The script is a file run with
 * `mongosh --nodb --file`; `connect()` opens the connection from inside it, so no password is on a command line.
 * @see https://www.mongodb.com/docs/mongodb-shell/write-scripts/env-variables/
 * @see https://www.mongodb.com/docs/manual/reference/method/db.createUser/
 * @see https://www.mongodb.com/docs/manual/reference/method/db.updateUser/ (roles given replace the user's roles)
 * @see https://www.mongodb.com/docs/manual/reference/connection-string/ (replicaSet, authSource)
 */
export function mongoApplicationUserJob(ctx: EngineContext, target: MongoApplicationUserTarget): EngineJob | undefined {
  const app = ctx.application;
  if (!app) return undefined;
  const database = app.database ?? 'app';
  if (RESERVED_DATABASES.includes(database)) {
    throw new Error(`${ctx.name}: the application user would get readWrite and dbAdmin on MongoDB's own database "${database}": `
      + 'set `databaseName` to the application\'s database, or use `ApplicationUser.superuser()`.');
  }
  const script = [
    'set -eu',
    'f="${TMPDIR:-/tmp}/app-user.js"',
    'cat > "$f" <<\'APP_USER_JS\'',
    applicationUserJs(ctx.name, target, ctx.tlsPath !== undefined),
    'APP_USER_JS',
    'exec mongosh --nodb --quiet --file "$f"',
  ].join('\n');
  return applicationUserJob(app, script, [
    secretEnv('DB_USER', ctx.credentials.secretName, ctx.credentials.usernameKey),
    secretEnv('DB_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey),
  ], 999);
}

function applicationUserJs(name: string, target: MongoApplicationUserTarget, tls: boolean): string {
  const options = [
    'authSource=admin',
    ...(target.replicaSet ? [`replicaSet=${target.replicaSet}`] : ['directConnection=true']),
    'serverSelectionTimeoutMS=5000',
    'connectTimeoutMS=5000',
    // The Job mounts no CA: traffic is encrypted, the server is not verified.
    ...(tls ? ['tls=true', 'tlsInsecure=true'] : []),
  ].join('&');
  return `// Application user of ${name} (cdk8s-databases): readWrite and dbAdmin on its database, password from its Secret.
const HOSTS = ${JSON.stringify(target.hosts.join(','))};
const OPTIONS = ${JSON.stringify(options)};
const WAIT_MS = 5000;
const ATTEMPTS = 300;
const env = process.env;
const user = env.APP_USERNAME;
const database = env.APP_DATABASE;
if (!user) {
  print('the application user has no name: its Secret holds an empty username');
  quit(1);
}
if (user === env.DB_USER) {
  print('the application user is the root user (' + user + '): give it a name of its own');
  quit(1);
}

// Until a writable primary answers: a replica set not yet initiated or electing, a member restarting, the root
// user not created yet (the image's first-run server listens on localhost only).
let admin = null;
for (let attempt = 1; admin === null; attempt++) {
  let why = '';
  try {
    const conn = connect('mongodb://' + encodeURIComponent(env.DB_USER) + ':' + encodeURIComponent(env.DB_PASSWORD)
      + '@' + HOSTS + '/admin?' + OPTIONS);
    const hello = conn.hello();
    if (hello.isWritablePrimary) admin = conn;
    else why = 'connected to a member that is not the primary';
  } catch (e) {
    why = String(e.message || e);
  }
  if (admin === null) {
    if (attempt >= ATTEMPTS) {
      print('no writable primary at ' + HOSTS + ' after ' + (ATTEMPTS * WAIT_MS / 60000) + ' minutes: ' + why);
      quit(1);
    }
    print('waiting for a writable primary at ' + HOSTS + ': ' + why);
    sleep(WAIT_MS);
  }
}

const db = admin.getSiblingDB(database);
const roles = [{ role: 'readWrite', db: database }, { role: 'dbAdmin', db: database }];
let did = '';
if (db.getUser(user) === null) {
  try {
    db.createUser({ user: user, pwd: env.APP_PASSWORD, roles: roles });
    did = 'created';
  } catch (e) {
    // Another run created it in between: "User ... already exists" (Location51003). Anything else fails the Job.
    if (e.code !== 51003 && !/already exists/.test(String(e.message))) throw e;
  }
}
if (!did) {
  db.updateUser(user, { pwd: env.APP_PASSWORD, roles: roles });
  did = 'updated';
}
print('application user ' + user + ' ' + did + ': readWrite and dbAdmin on database ' + database + ', password from its Secret');
`;
}
