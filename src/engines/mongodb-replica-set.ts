import { ReplicationContext, ReplicationPlan } from './engine-definition';
import { ReplicationMode } from './engine-port';
import { secretEnv, shellProbe } from './probes';

export const KEYFILE_KEY = 'keyfile';
const KEYFILE_DIR = '/keyfile';
const PORT = 27017;

/**
 * A MongoDB replica set: members by their stable DNS names, internal authentication with a keyfile
 * from the credentials Secret, initiated once by an idempotent Job, with member priorities.
 * @see https://www.mongodb.com/docs/manual/tutorial/deploy-replica-set-with-keyfile-access-control/
 */
export function replicaSetPlan(ctx: ReplicationContext, base: { args: string[]; env: any[]; tls: string }): ReplicationPlan {
  const majority = Math.floor(ctx.replicas / 2) + 1;
  const priorities = ctx.memberPriorities ?? ctx.members.map(() => 1);
  const config = {
    _id: ctx.name,
    members: ctx.members.map((host, i) => ({ _id: i, host: `${host}:${PORT}`, priority: priorities[i] })),
  };
  // Ready only as PRIMARY or SECONDARY: a member still in initial sync must not serve reads.
  const state = `mongosh --quiet --host 127.0.0.1 --port ${PORT}${base.tls} --eval "const h = db.hello(); print(h.isWritablePrimary || h.secondary ? 'ok' : 'no')" | grep -q ok`;
  const ping = `mongosh --quiet --host 127.0.0.1 --port ${PORT}${base.tls} --eval "db.adminCommand('ping').ok" | grep -q 1`;
  return {
    mode: ReplicationMode.CONSENSUS,
    quorum: majority,
    container: {
      // --replSet and --keyFile on the command line: the image's entrypoint strips --replSet for its
      // first-run server that creates the root user, then starts mongod with both.
      args: [...base.args, '--replSet', ctx.name, '--keyFile', `${KEYFILE_DIR}/keyfile`],
      env: base.env,
      startupProbe: shellProbe(ping, { period: 10, timeout: 10, failureThreshold: 90 }),
      readinessProbe: shellProbe(state, { period: 10, timeout: 10, failureThreshold: 3 }),
      livenessProbe: shellProbe(ping, { period: 20, timeout: 10, failureThreshold: 6 }),
      // SIGTERM on a primary steps it down first (MongoDB 4.4+ quiesce); --shutdown sends it.
      preStop: ['mongod', '--shutdown', '--dbpath', '/data/db'],
    },
    extraPorts: [],
    // mongod refuses a keyfile readable by group or others, and Secret volumes are group-readable
    // under fsGroup: an init container copies it to a private emptyDir with mode 0400.
    initContainers: [{
      name: 'keyfile',
      command: ['sh', '-c', `cp /keyfile-secret/${KEYFILE_KEY} ${KEYFILE_DIR}/keyfile && chmod 0400 ${KEYFILE_DIR}/keyfile`],
      env: [],
      ports: [],
      volumeMounts: [{ name: 'keyfile-secret', mountPath: '/keyfile-secret', readOnly: true }, { name: 'keyfile', mountPath: KEYFILE_DIR }],
      cpuMillis: 100,
      memoryMebibytes: 64,
    }],
    extraVolumes: [
      { name: 'keyfile-secret', secret: { secretName: ctx.credentials.secretName, items: [{ key: KEYFILE_KEY, path: KEYFILE_KEY }] } },
      { name: 'keyfile', emptyDir: { medium: 'Memory' } },
    ],
    extraMounts: [{ name: 'keyfile', mountPath: KEYFILE_DIR, readOnly: true }],
    configFiles: {},
    // 756 base64 characters, within the 6-1024 mongod accepts.
    extraSecretKeys: { [KEYFILE_KEY]: 567 },
    formationJob: {
      suffix: 'rs-init',
      runAsUser: 999,
      env: [
        secretEnv('DB_USER', ctx.credentials.secretName, ctx.credentials.usernameKey),
        secretEnv('DB_PASSWORD', ctx.credentials.secretName, ctx.credentials.passwordKey),
      ],
      // Idempotent: initiates only when the first member reports NotYetInitialized.
      script: [
        'set -u',
        `CONFIG='${JSON.stringify(config)}'`,
        `until mongosh --quiet "mongodb://${ctx.members[0]}:${PORT}/admin?directConnection=true${base.tls ? '&tls=true&tlsInsecure=true' : ''}" \\`,
        '  -u "$DB_USER" -p "$DB_PASSWORD" --authenticationDatabase admin --eval "',
        '    try { rs.status(); print(\'replica set already initiated\'); }',
        '    catch (e) { if (e.codeName !== \'NotYetInitialized\') throw e; rs.initiate($CONFIG); print(\'replica set initiated\'); }"; do',
        `  echo "waiting for ${ctx.members[0]}"; sleep 10`,
        'done',
      ].join('\n'),
    },
    failoverNotes: 'The members elect a new primary when the primary fails or steps down (electionTimeoutMillis 10 s by default); '
      + `writes need ${majority} of ${ctx.replicas} members. Drivers follow the primary through the replica set `
      + `(connection string \`replicaSet=${ctx.name}\`); there is no role Service.`,
  };
}
