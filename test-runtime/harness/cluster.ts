import * as fs from 'fs';
import * as path from 'path';
import { ApiStandin } from './api-standin';
import { PodNetwork } from './network';
import { LocalPod } from './pod';

const ROOT = '/var/lib/cdkdb-runtime';

/**
 * A namespace's worth of synthesized manifests, run on this machine: StatefulSets start their pods in
 * order (OrderedReady waits for each to be Ready, as the controller does), Jobs and CronJobs run their
 * pod to completion, headless Services give pods their DNS names, and a client Service's name points at
 * one Ready pod its selector matches. There is no API server: a script that calls kubectl cannot run here.
 * Secrets generated in the cluster (credentials Jobs) are given by the test, as the cluster would hold them.
 */
export class LocalCluster {
  public readonly network: PodNetwork;
  private readonly root: string;
  private readonly pods = new Map<string, LocalPod>();
  private readonly secrets: Map<string, Record<string, string>>;
  private api?: ApiStandin;

  constructor(public readonly manifests: any[], secrets: Record<string, Record<string, string>> = {}) {
    if (process.getuid?.() !== 0) throw new Error('the runtime tier needs root (network namespaces, bind mounts): CI runs it as root');
    this.network = PodNetwork.claim(process.pid % 200);
    this.root = path.join(ROOT, String(this.network.id));
    fs.rmSync(this.root, { recursive: true, force: true });
    fs.mkdirSync(this.root, { recursive: true });
    this.secrets = new Map(Object.entries(secrets));
    for (const s of manifests.filter((m) => m.kind === 'Secret')) {
      const data = { ...Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString()])), ...s.stringData };
      this.secrets.set(s.metadata.name, data);
    }
  }

  public get namespace(): string {
    return this.manifests.find((m) => m.metadata?.namespace)?.metadata.namespace ?? 'default';
  }

  public object(kind: string, name: string): any {
    const found = this.manifests.find((m) => m.kind === kind && m.metadata.name === name);
    if (!found) throw new Error(`no ${kind} ${name} in the manifests`);
    return found;
  }

  /** The pods of a StatefulSet (created on first use, at their stable addresses). */
  public statefulSetPods(name: string, replicas?: number): LocalPod[] {
    const sts = this.object('StatefulSet', name);
    const count = replicas ?? sts.spec.replicas ?? 1;
    const domain = `${sts.spec.serviceName}.${this.namespace}.svc`;
    const templates = (sts.spec.volumeClaimTemplates ?? []).map((t: any) => t.metadata.name);
    return Array.from({ length: count }, (_v, i) => this.pod(`${name}-${i}`, sts.spec.template, templates,
      [`${name}-${i}.${domain}`, `${name}-${i}.${domain}.cluster.local`]));
  }

  /**
   * Starts a StatefulSet's pods. OrderedReady (the default): pod i+1 only once pod i is Ready, so a
   * member that waits for its peers before it can be Ready leaves the set stuck, as in a cluster.
   */
  public async startStatefulSet(name: string, options: { replicas?: number; readyTimeoutSeconds?: number } = {}): Promise<LocalPod[]> {
    const sts = this.object('StatefulSet', name);
    const pods = this.statefulSetPods(name, options.replicas);
    const ordered = (sts.spec.podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
    for (const pod of pods) {
      await pod.start();
      if (ordered) await pod.waitReady(options.readyTimeoutSeconds);
    }
    if (!ordered) await Promise.all(pods.map((p) => p.waitReady(options.readyTimeoutSeconds)));
    await this.refreshServices();
    return pods;
  }

  /**
   * Runs a Job's pod to completion, with the Job's backoffLimit (a CronJob's jobTemplate when `kind` is
   * CronJob). Resolves with the last attempt's exit code and the logs of its containers.
   */
  public async runJob(name: string, kind: 'Job' | 'CronJob' = 'Job', timeoutSeconds = 300): Promise<{ code: number; logs: string }> {
    const obj = this.object(kind, name);
    const jobSpec = kind === 'CronJob' ? obj.spec.jobTemplate.spec : obj.spec;
    const attempts = (jobSpec.backoffLimit ?? 6) + 1;
    let last = { code: 1, logs: '' };
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const pod = this.pod(`${name}-run${attempt}`, jobSpec.template, [], []);
      last = await pod.runToCompletion(timeoutSeconds);
      if (last.code === 0) break;
    }
    return last;
  }

  /** Points each non-headless Service's name at one Ready pod it selects (none Ready: the name does not resolve). */
  public async refreshServices(): Promise<void> {
    for (const svc of this.manifests.filter((m) => m.kind === 'Service' && m.spec.clusterIP !== 'None')) {
      let target: string | undefined;
      for (const pod of this.pods.values()) {
        const selected = Object.entries(svc.spec.selector ?? {}).every(([k, v]) => pod.labels[k] === v);
        if (selected && (await pod.ready())) { target = pod.ip; break; }
      }
      for (const name of [svc.metadata.name, `${svc.metadata.name}.${this.namespace}.svc`, `${svc.metadata.name}.${this.namespace}.svc.cluster.local`]) {
        this.network.setName(name, target);
      }
    }
  }

  /**
   * A CSI snapshot of `claim` restored as `newClaim`: the pod's processes are frozen (SIGSTOP) while the
   * folder is copied, so the copy is one instant of the volume, as an atomic snapshot is.
   */
  public snapshotClaim(pod: LocalPod, claim: string, newClaim: string): void {
    const source = path.join(this.root, 'claims', claim);
    const target = path.join(this.root, 'claims', newClaim);
    this.network.signalAll(pod.name, 'SIGSTOP');
    try {
      fs.rmSync(target, { recursive: true, force: true });
      fs.cpSync(source, target, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    } finally {
      this.network.signalAll(pod.name, 'SIGCONT');
    }
    // cpSync keeps modes but not owners: a restored volume keeps both.
    const chownTree = (from: string, to: string) => {
      const st = fs.lstatSync(from);
      fs.lchownSync(to, st.uid, st.gid);
      if (st.isDirectory()) for (const e of fs.readdirSync(from)) chownTree(path.join(from, e), path.join(to, e));
    };
    chownTree(source, target);
  }

  /**
   * Starts a stand-in API server (api-standin.ts) on the pod network: pods started after this get
   * KUBERNETES_SERVICE_HOST/PORT, their ServiceAccount's token and its CA (`kube-root-ca.crt`); a label patch it
   * allows changes the pod's labels, which `refreshServices()` then follows.
   */
  public async startApi(): Promise<ApiStandin> {
    this.api ??= await ApiStandin.start({
      namespace: this.namespace,
      manifests: this.manifests,
      podLabels: (name) => this.pods.get(name)?.labels,
    }, this.network.hostAddress);
    for (const name of ['kubernetes.default.svc', 'kubernetes.default.svc.cluster.local']) this.network.setName(name, this.api.host);
    return this.api;
  }

  /** Stops every pod (no hooks) and removes the network; the files stay for a look after a failure. */
  public async destroy(): Promise<void> {
    await Promise.all([...this.pods.values()].map((p) => p.kill()));
    await this.api?.close();
    this.network.destroy();
  }

  /** The folder that backs a PersistentVolumeClaim (created on first use), shared by every pod that mounts it. */
  public claimDir(claim: string): string {
    const d = path.join(this.root, 'claims', claim);
    fs.mkdirSync(d, { recursive: true });
    return d;
  }

  private pod(name: string, template: any, claimTemplates: string[], dnsNames: string[]): LocalPod {
    const existing = this.pods.get(name);
    if (existing) return existing;
    const { ns, ip } = this.network.attach(name);
    if (dnsNames.length) this.network.addNames(ip, dnsNames);
    // Each pod its own copy of the template's labels: a label patched at runtime is that pod's alone.
    const pod = new LocalPod(name, template.spec, { ...(template.metadata?.labels ?? {}) }, {
      namespace: this.namespace,
      podDir: path.join(this.root, 'pods', name),
      logDir: path.join(this.root, 'logs', name),
      ns,
      ip,
      claimTemplates,
      claimDir: (claim) => this.claimDir(claim),
      // Every namespace holds kube-root-ca.crt (the root CA publisher): the stand-in's CA, or a placeholder.
      configMap: (n) => this.manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === n)?.data
        ?? (n === 'kube-root-ca.crt' ? { 'ca.crt': this.api?.caPem ?? 'no API server stands in\n' } : undefined),
      kubernetes: () => this.api,
      secret: (n) => this.secrets.get(n),
    });
    this.pods.set(name, pod);
    return pod;
  }
}
