/** Hand-built backup objects for the backup rules' tests: valid Kubernetes, annotated as the library annotates them. */
export function cronJob(name: string, overrides: {
  namespace?: string;
  schedule?: string;
  timeZone?: string;
  suspend?: boolean;
  annotations?: Record<string, string>;
} = {}): any {
  const labels = { 'app.kubernetes.io/instance': 'orders', 'app.kubernetes.io/component': 'backup' };
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: overrides.namespace ?? 'db', labels, ...(overrides.annotations ? { annotations: overrides.annotations } : {}) },
    spec: {
      schedule: overrides.schedule ?? '30 2 * * *',
      ...(overrides.timeZone ? { timeZone: overrides.timeZone } : {}),
      ...(overrides.suspend !== undefined ? { suspend: overrides.suspend } : {}),
      concurrencyPolicy: 'Forbid',
      jobTemplate: {
        spec: {
          template: {
            metadata: { labels },
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'dump', image: 'postgres:16.6', resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '500m', memory: '512Mi' } } }],
            },
          },
        },
      },
    },
  };
}

/** The hints of a nightly dump of `orders`, as BackupSchedule writes them. */
export const DUMP_HINTS = {
  'cdk8s-databases.io/backs-up': 'orders',
  'cdk8s-databases.io/rpo-seconds': '86400',
  'cdk8s-databases.io/retention': 'newest 14 dumps',
};
