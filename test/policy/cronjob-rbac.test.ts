import { Cron } from 'cdk8s';
import { BackupMethod, BackupSchedule, Engine, PostgresVersion, Retention, RuleStatus, StatefulDatabase } from '../../src';
import { kubectlRequests } from '../../src/policy/rules/dok/api-requests';
import { cronJobRbac } from '../../src/policy/rules/dok/cronjob-rbac';
import { shellCommands } from '../../src/policy/rules/dok/shell-commands';
import { expectNonCompliant, verdictOf } from '../support/policy';
import { newChart, synthValid } from '../support/synth';

const NS = 'db';

function job(script: string, pod: Record<string, unknown> = { serviceAccountName: 'switch' }): any {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'switch', namespace: NS },
    spec: {
      template: {
        spec: {
          restartPolicy: 'Never',
          ...pod,
          containers: [{ name: 'run', image: 'bitnami/kubectl:1.31.4', command: ['sh', '-c', script] }],
        },
      },
    },
  };
}

const serviceAccount = (extra: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'switch', namespace: NS }, ...extra });

function roleAndBinding(rules: any[]): any[] {
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'switch', namespace: NS }, rules },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'switch', namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'switch' },
      subjects: [{ kind: 'ServiceAccount', name: 'switch' }],
    },
  ];
}

const SCALE_RULES = [
  { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['apps'], resources: ['statefulsets/scale'], resourceNames: ['orders'], verbs: ['patch'] },
];
const FENCE = 'set -eu\nkubectl scale sts/orders --replicas=0\nkubectl wait "statefulset/orders" --for=jsonpath=\'{.status.replicas}\'=0 --timeout=300s\n'
  + 'echo "to undo: (kubectl delete pvc data-orders-0)"';

describe('DOK-CRONJOB-RBAC', () => {
  test('compliant: scale and wait are granted (get on the StatefulSet, patch on its scale subresource by name); the echoed kubectl is no call', () => {
    expect(verdictOf(cronJobRbac, job(FENCE), [serviceAccount(), ...roleAndBinding(SCALE_RULES)]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: kubectl scale without patch on statefulsets/scale (a grant on the StatefulSet itself does not cover it)', () => {
    const rules = [{ apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'list', 'watch', 'patch'] }];
    expectNonCompliant(verdictOf(cronJobRbac, job(FENCE), [serviceAccount(), ...roleAndBinding(rules)]),
      /^`kubectl scale sts\/orders --replicas=0` needs patch on statefulsets\/scale \(apps\) `orders`, which no Role or ClusterRole bound to ServiceAccount `switch` grants$/);
  });

  test('non-compliant: a grant limited to other resourceNames does not cover the object named', () => {
    const rules = [SCALE_RULES[0], { ...SCALE_RULES[1], resourceNames: ['billing'] }];
    expectNonCompliant(verdictOf(cronJobRbac, job(FENCE), [serviceAccount(), ...roleAndBinding(rules)]), /needs patch on statefulsets\/scale \(apps\) `orders`/);
  });

  test('non-compliant: the default ServiceAccount, and a pod without a token', () => {
    expectNonCompliant(verdictOf(cronJobRbac, job(FENCE, {})), /^runs as the `default` ServiceAccount of `db`/);
    const tokenless = verdictOf(cronJobRbac, job(FENCE, { serviceAccountName: 'switch' }), [serviceAccount({ automountServiceAccountToken: false }), ...roleAndBinding(SCALE_RULES)]);
    expectNonCompliant(tokenless, /container `run` calls the API server, but ServiceAccount `switch` sets automountServiceAccountToken: false/);
  });

  test('compliant: a token projected into the pod stands for the automounted one; a role bound from outside the set is not judged', () => {
    const projected = job(FENCE, {
      serviceAccountName: 'switch',
      automountServiceAccountToken: false,
      volumes: [{ name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }],
    });
    projected.spec.template.spec.containers[0].volumeMounts = [{ name: 'token', mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }];
    expect(verdictOf(cronJobRbac, projected, [serviceAccount(), ...roleAndBinding(SCALE_RULES)]).status).toBe(RuleStatus.COMPLIANT);
    const [, binding] = roleAndBinding([]);
    const toEdit = { ...binding, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' } };
    expect(verdictOf(cronJobRbac, job(FENCE), [serviceAccount(), toEdit]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: curl to the API server through a wrapper function needs create on secrets', () => {
    const script = [
      'SA=/var/run/secrets/kubernetes.io/serviceaccount',
      'NS=$(cat "$SA/namespace")',
      'API=https://kubernetes.default.svc/api/v1/namespaces',
      'api() { curl -sS -o /tmp/r -w "%{http_code}" --cacert "$SA/ca.crt" -H "Authorization: Bearer $(cat "$SA/token")" "$@"; }',
      'CODE=$(api -X POST --data "$BODY" "$API/$NS/secrets")',
    ].join('\n');
    const reads = [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }];
    expectNonCompliant(verdictOf(cronJobRbac, job(script), [serviceAccount(), ...roleAndBinding(reads)]),
      /^`api -X POST --data \$BODY \$API\/\$NS\/secrets` needs create on secrets, which no Role/);
    const creates = [{ apiGroups: [''], resources: ['secrets'], verbs: ['create'] }];
    expect(verdictOf(cronJobRbac, job(script), [serviceAccount(), ...roleAndBinding(creates)]).status).toBe(RuleStatus.COMPLIANT);
  });

  test('not applicable: a Job that never calls the API, and a StatefulSet', () => {
    expect(verdictOf(cronJobRbac, job('pg_dump -Fc orders > /backup/orders.dump')).status).toBe(RuleStatus.NOT_APPLICABLE);
    expect(verdictOf(cronJobRbac, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: NS } }).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('the library\'s snapshot CronJob passes, and fails once its Role loses pods/exec', () => {
    const chart = newChart('shop');
    const db = new StatefulDatabase(chart, 'orders', { name: 'orders', engine: Engine.postgres({ version: PostgresVersion.V16 }) });
    new BackupSchedule(chart, 'backups', {
      database: db,
      methods: [BackupMethod.volumeSnapshot({ snapshotClassName: 'csi-snapclass', schedule: Cron.schedule({ minute: '0', hour: '*/6' }), retention: Retention.keepLast(4) })],
    });
    const objects = synthValid(chart);
    const cron = objects.find((o) => o.kind === 'CronJob' && /snapshots$/.test(o.metadata.name));
    expect(verdictOf(cronJobRbac, cron, objects.filter((o) => o !== cron)).status).toBe(RuleStatus.COMPLIANT);
    const cut = objects.filter((o) => o !== cron).map((o) => o.kind === 'Role' && o.metadata.name === cron.metadata.name
      ? { ...o, rules: o.rules.filter((r: any) => !r.resources.includes('pods/exec')) } : o);
    expectNonCompliant(verdictOf(cronJobRbac, cron, cut), /`kubectl exec \$P -c postgresql -- sh -c \$PREPARE` needs create on pods\/exec/);
  });
});

describe('reading kubectl calls', () => {
  const requestsOf = (script: string) => shellCommands(script).filter((c) => c.words[0] === 'kubectl')
    .flatMap((c) => kubectlRequests(c).requests.map((r) => `${r.verb} ${r.group}/${r.resource}${r.name ? ` ${r.name}` : ''}${r.namespace ? ` @${r.namespace}` : ''}`));

  test('short names, groups, selectors, here-documents, namespaces', () => {
    expect(requestsOf('kubectl get po -l app=x -o name')).toEqual(['list /pods']);
    expect(requestsOf('kubectl -n other get cm,svc settings')).toEqual(['get /configmaps settings @other', 'get /services settings @other']);
    expect(requestsOf('kubectl delete volumesnapshots.snapshot.storage.k8s.io -l run=1')).toEqual([
      'list snapshot.storage.k8s.io/volumesnapshots', 'delete snapshot.storage.k8s.io/volumesnapshots',
    ]);
    expect(requestsOf('kubectl apply -f - <<EOF\napiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata:\n  name: snap-$RUN\nEOF\n')).toEqual([
      'get snapshot.storage.k8s.io/volumesnapshots *', 'create snapshot.storage.k8s.io/volumesnapshots', 'patch snapshot.storage.k8s.io/volumesnapshots *',
    ]);
    expect(requestsOf('cat <<EOF | kubectl -n shop create -f -\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\nEOF\n')).toEqual(['create batch/jobs @shop']);
    expect(requestsOf('kubectl logs -f orders-0 -c db')).toEqual(['get /pods orders-0', 'get /pods/log orders-0']);
    expect(requestsOf('kubectl cp shop/orders-0:/tmp/x ./x')).toEqual(['get /pods orders-0 @shop', 'create /pods/exec orders-0 @shop']);
  });

  test('what cannot be read for sure gives no request: a type in a variable, an unknown flag, another kubeconfig, a file', () => {
    expect(requestsOf('kubectl get "$KIND" x')).toEqual([]);
    expect(requestsOf('kubectl get pods --some-new-flag value')).toEqual([]);
    expect(requestsOf('kubectl --kubeconfig /etc/k get pods')).toEqual([]);
    expect(requestsOf('kubectl apply -f /manifests/')).toEqual([]);
    expect(requestsOf('echo "kubectl delete pvc x"; printf \'kubectl get pods\'')).toEqual([]);
  });
});
