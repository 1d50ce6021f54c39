import { Engine, PolicyContext, PostgresVersion, RuleStatus, StatefulDatabase } from '../../src';
import { restrictedPodSecurity } from '../../src/policy/rules/security/restricted-pod-security';
import { expectNonCompliant, statefulSet, verdictOf } from '../support/policy';
import { newChart, synthValid } from '../support/synth';

const restrictedContainer = (name: string, extra: any = {}) => ({
  name,
  image: 'docker.io/library/postgres:16.6',
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, ...extra },
});

const pod = (spec: any, annotations?: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'debug', namespace: 'db', ...(annotations ? { annotations } : {}) },
  spec,
});

const restrictedPodSecurityContext = { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };

describe('SEC-RESTRICTED-POD-SECURITY', () => {
  test('compliant: pod-level runAsNonRoot and seccomp, every container drops ALL (adding only NET_BIND_SERVICE), safe sysctl, allowed volumes', () => {
    const sts = statefulSet('orders', {
      podSpec: {
        securityContext: { ...restrictedPodSecurityContext, runAsUser: 999, sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65000' }] },
        initContainers: [restrictedContainer('init'), restrictedContainer('exporter', { seLinuxOptions: { type: 'container_t' } })],
        containers: [restrictedContainer('db', { capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] }, procMount: 'Default' })],
        volumes: [{ name: 'tmp', emptyDir: {} }, { name: 'config', configMap: { name: 'orders-config' } }],
      },
    });
    expect(verdictOf(restrictedPodSecurity, sts).status).toBe(RuleStatus.COMPLIANT);
  });

  test('non-compliant: lists every violation with the container names, in the admission plugin\'s words', () => {
    const p = pod({
      hostNetwork: true,
      hostPID: true,
      securityContext: { runAsUser: 0, sysctls: [{ name: 'kernel.msgmax', value: '65536' }], seLinuxOptions: { user: 'system_u', type: 'spc_t' } },
      initContainers: [{ name: 'chown', image: 'busybox:1.36.1', securityContext: { runAsUser: 0, privileged: true } }],
      containers: [{
        name: 'db',
        image: 'postgres:16.6',
        ports: [{ containerPort: 5432, hostPort: 5432 }],
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'], add: ['SYS_ADMIN', 'NET_BIND_SERVICE'] },
          seccompProfile: { type: 'Unconfined' },
          appArmorProfile: { type: 'Unconfined' },
          procMount: 'Unmasked',
        },
      }],
      ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36.1' }],
      volumes: [{ name: 'host', hostPath: { path: '/var/lib' } }, { name: 'share', nfs: { server: 'nfs.local', path: '/data' } }],
    });
    const verdict = verdictOf(restrictedPodSecurity, p);
    const expected = [
      'allowPrivilegeEscalation != false (containers "chown", "debugger" must set securityContext.allowPrivilegeEscalation=false)',
      'forbidden AppArmor profile (container "db" must not set AppArmor profile type to "Unconfined")',
      'unrestricted capabilities (containers "chown", "debugger" must set securityContext.capabilities.drop=["ALL"]; '
        + 'container "db" must not include "SYS_ADMIN" in securityContext.capabilities.add)',
      'host namespaces (hostNetwork, hostPID)',
      'hostPort (container "db" uses hostPort 5432)',
      'privileged (container "chown" must not set securityContext.privileged=true)',
      'procMount (container "db" must not set securityContext.procMount to "Unmasked")',
      'restricted volume types (volumes "host", "share" use restricted volume types "hostPath", "nfs")',
      'runAsNonRoot != true (pod or containers "chown", "db", "debugger" must set securityContext.runAsNonRoot=true)',
      'runAsUser=0 (pod and container "chown" must not set runAsUser=0)',
      'seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)',
      'seccompProfile (container "db" must not set securityContext.seccompProfile.type to "Unconfined")',
      'forbidden sysctls (kernel.msgmax)',
    ];
    expect(verdict.status).toBe(RuleStatus.NON_COMPLIANT);
    expect(verdict.detail).toBe(expected.join('; '));
  });

  test('non-compliant: a container opting out of the pod\'s runAsNonRoot, an Unconfined AppArmor annotation, a probe naming a host', () => {
    const p = pod({
      securityContext: restrictedPodSecurityContext,
      containers: [restrictedContainer('db', { runAsNonRoot: false }), {
        ...restrictedContainer('web'),
        readinessProbe: { httpGet: { host: '10.0.0.1', port: 8080, path: '/ready' } },
      }],
    }, { 'container.apparmor.security.beta.kubernetes.io/db': 'unconfined' });
    const verdict = verdictOf(restrictedPodSecurity, p);
    expectNonCompliant(verdict, /forbidden AppArmor profile \(annotation must not set AppArmor profile type to "container\.apparmor\.security\.beta\.kubernetes\.io\/db="unconfined""\)/);
    expectNonCompliant(verdict, /probe or lifecycle host \(container "web" uses probe or lifecycle host "10\.0\.0\.1"\)/);
    expectNonCompliant(verdict, /runAsNonRoot != true \(container "db" must not set securityContext\.runAsNonRoot=false\)/);
  });

  test('non-compliant: a sysctl allowed only by a later Kubernetes release says so', () => {
    const p = pod({
      securityContext: { ...restrictedPodSecurityContext, sysctls: [{ name: 'net.ipv4.tcp_keepalive_time', value: '600' }] },
      containers: [restrictedContainer('db')],
    });
    expectNonCompliant(verdictOf(restrictedPodSecurity, p), /^forbidden sysctls \(net\.ipv4\.tcp_keepalive_time \(allowed only from Kubernetes 1\.29\)\)$/);
  });

  test('a Windows pod need not set the Linux-only fields (capabilities, seccomp, allowPrivilegeEscalation), but must run as non-root', () => {
    const p = pod({ os: { name: 'windows' }, containers: [{ name: 'app', image: 'mcr.microsoft.com/windows/nanoserver:ltsc2022' }] });
    expectNonCompliant(verdictOf(restrictedPodSecurity, p), /^runAsNonRoot != true \(pod or container "app" must set securityContext\.runAsNonRoot=true\)$/);
  });

  test('not applicable: objects without a pod template', () => {
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'orders', namespace: 'db' }, spec: { ports: [{ port: 5432 }] } };
    expect(verdictOf(restrictedPodSecurity, service).status).toBe(RuleStatus.NOT_APPLICABLE);
  });

  test('every workload a StatefulDatabase synthesizes (StatefulSet, credential and user Jobs) meets the restricted profile', () => {
    const chart = newChart('shop');
    new StatefulDatabase(chart, 'orders', { engine: Engine.postgres({ version: PostgresVersion.V16 }), name: 'orders' });
    const manifests = synthValid(chart);
    const context = new PolicyContext(manifests);
    const workloads = manifests.filter((m) => ['StatefulSet', 'Job', 'CronJob'].includes(m.kind));
    expect(workloads.length).toBeGreaterThanOrEqual(3);
    const notCompliant = workloads.map((w) => ({ name: w.metadata.name, ...restrictedPodSecurity.evaluate(w, context) }))
      .filter((verdict) => verdict.status !== RuleStatus.COMPLIANT);
    expect(notCompliant).toEqual([]);
  });
});
