import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LocalImage, localImage } from './images';

/** What a pod needs from the cluster around it. */
export interface PodContext {
  readonly namespace: string;
  /** Folder of this pod's own files (emptyDirs); emptied at each start. */
  readonly podDir: string;
  /** Folder of the containers' logs, kept across restarts (as `kubectl logs --previous` would, and more). */
  readonly logDir: string;
  /** Network namespace and address of the pod. */
  readonly ns: string;
  readonly ip: string;
  /** Names of the StatefulSet's volumeClaimTemplates (the pod's claims are `<template>-<pod>`). */
  readonly claimTemplates: string[];
  /** Folder that backs a persistentVolumeClaim, by claim name. */
  claimDir(claim: string): string;
  configMap(name: string): Record<string, string> | undefined;
  secret(name: string): Record<string, string> | undefined;
  /** The API server, when one stands in: its address for KUBERNETES_SERVICE_HOST/PORT and the tokens it accepts. */
  kubernetes?(): KubernetesEndpoint | undefined;
}

/** What the kubelet tells a pod about the API server. */
export interface KubernetesEndpoint {
  readonly host: string;
  readonly port: number;
  tokenFor(serviceAccount: string): string;
}

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

interface Mount { readonly source: string; readonly target: string; readonly readOnly: boolean }

interface Running {
  readonly spec: any;
  readonly image: LocalImage;
  readonly env: Record<string, string>;
  readonly mounts: Mount[];
  proc?: ChildProcess;
  exited?: Promise<number>;
  restarts: number;
}

// Unref'd: a pending grace-period timer must not keep the test process alive.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref());

/**
 * One pod of synthesized YAML, run as local processes the way the kubelet would: volumes materialized
 * (claims as folders that outlive the pod, emptyDirs fresh each start, ConfigMaps and Secrets as files
 * with their modes), env resolved (`value`, `valueFrom`, `$(VAR)`), init containers in order, then every
 * container with its command, the pod's uid/gid and fsGroup, each in its own mount, UTS and PID namespace
 * inside the pod's network namespace. A container that exits is restarted (restartPolicy Always).
 * Containers whose image has no local stand-in (exporters) are skipped and listed in `skipped`.
 */
export class LocalPod {
  public readonly skipped: string[] = [];
  private readonly containers = new Map<string, Running>();
  private stopping = false;

  constructor(public readonly name: string, public readonly spec: any, public readonly labels: Record<string, string>,
    private readonly ctx: PodContext) {}

  public get ip(): string {
    return this.ctx.ip;
  }

  /** Runs the init containers to completion (each retried like the kubelet would, up to `initAttempts`), then starts the containers. */
  public async start(initAttempts = 30, restart = true): Promise<void> {
    this.stopping = !restart;
    this.skipped.length = 0;
    fs.rmSync(this.ctx.podDir, { recursive: true, force: true });
    fs.mkdirSync(this.ctx.podDir, { recursive: true });
    fs.mkdirSync(this.ctx.logDir, { recursive: true });
    this.setUpVolumes();
    for (const c of this.spec.initContainers ?? []) {
      const r = this.prepare(c);
      if (!r) continue;
      for (let attempt = 1; ; attempt++) {
        const code = await this.launch(r);
        if (code === 0) break;
        if (attempt >= initAttempts) throw new Error(`${this.name}: init container ${c.name} failed ${attempt} times (exit ${code}):\n${this.logs(c.name)}`);
        await sleep(Math.min(1000 * attempt, 5000));
      }
      this.containers.delete(c.name);
    }
    for (const c of this.spec.containers) {
      const r = this.prepare(c);
      if (r && restart) void this.supervise(r);
      else if (r) void this.launch(r);
    }
  }

  /** A Job's pod: init containers once, then every container once; the first failing exit code, or 0. */
  public async runToCompletion(timeoutSeconds: number): Promise<{ code: number; logs: string }> {
    let code = 0;
    try {
      await this.start(1, false);
      const exits = await Promise.race([
        Promise.all([...this.containers.values()].map((r) => r.exited!)),
        sleep(timeoutSeconds * 1000).then(() => undefined),
      ]);
      if (!exits) { await this.kill(); code = 124; } else {code = exits.find((c) => c !== 0) ?? 0;}
    } catch (e) {
      code = 1;
      fs.appendFileSync(path.join(this.ctx.logDir, 'harness.log'), String(e));
    }
    const names = [...(this.spec.initContainers ?? []), ...this.spec.containers].map((c: any) => c.name).concat('harness');
    return { code, logs: names.map((n: string) => this.logs(n) && `--- ${n}\n${this.logs(n)}`).filter(Boolean).join('\n') };
  }

  /** Graceful stop, as on `kubectl delete pod`: preStop hooks, then SIGTERM, then SIGKILL after the grace period. */
  public async stop(graceSeconds = this.spec.terminationGracePeriodSeconds ?? 30): Promise<void> {
    this.stopping = true;
    const deadline = Date.now() + graceSeconds * 1000;
    await Promise.all([...this.containers.values()].map(async (r) => {
      const hook = r.spec.lifecycle?.preStop?.exec?.command;
      if (hook && r.proc) await this.exec(r.spec.name, hook, graceSeconds).catch(() => undefined);
      // Only the container's PID 1 gets SIGTERM (unshare itself would kill it outright); a shell that
      // does not trap it ignores it as PID 1, as in a real container.
      this.signalInit(r, 'SIGTERM');
      const left = Math.max(0, deadline - Date.now());
      const done = await Promise.race([r.exited?.then(() => true), sleep(left).then(() => false)]);
      if (!done) { this.signalInit(r, 'SIGKILL'); r.proc?.kill('SIGKILL'); }
      await r.exited;
    }));
    this.containers.clear();
  }

  /** The node is lost: every process killed at once, no hook, no signal it can catch. */
  public async kill(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.containers.values()].map(async (r) => {
      // The namespace's PID 1 first: its death takes every process of the container with it (unshare's
      // --kill-child does not survive the uid change of setpriv).
      this.signalInit(r, 'SIGKILL');
      r.proc?.kill('SIGKILL');
      await r.exited;
    }));
    this.containers.clear();
  }

  /** `kubectl exec`: runs argv in the container's namespaces, as its user, with its env. */
  public async exec(container: string, argv: string[], timeoutSeconds = 60, stdin?: string): Promise<ExecResult> {
    const r = this.containers.get(container);
    const pid = r?.proc?.pid && childOf(r.proc.pid);
    if (!r || !pid) return { code: 1, stdout: '', stderr: `container ${container} is not running` };
    const args = ['-t', String(pid), '-m', '-u', '-n', '-p', '--', ...this.dropPrivileges(r), ...envArgs(r), ...argv];
    return run('nsenter', args, timeoutSeconds, stdin);
  }

  /** Runs one of the container's probes once; true when it passes. */
  public async probe(container: string, kind: 'startup' | 'readiness' | 'liveness'): Promise<boolean> {
    const r = this.containers.get(container);
    const probe = r?.spec[`${kind}Probe`];
    if (!probe) return r !== undefined;
    if (probe.exec) return (await this.exec(container, probe.exec.command, probe.timeoutSeconds ?? 1)).code === 0;
    if (probe.tcpSocket) return tcpOpen(this.ctx.ip, portOf(r!.spec, probe.tcpSocket.port), probe.timeoutSeconds ?? 1);
    throw new Error(`${this.name}/${container}: the harness runs exec and tcpSocket probes only`);
  }

  /** Waits until every running container passed its startup probe and then its readiness probe. */
  public async waitReady(timeoutSeconds = 120): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (const name of this.containers.keys()) {
      for (const kind of ['startup', 'readiness'] as const) {
        while (!(await this.probe(name, kind))) {
          if (Date.now() > deadline) throw new Error(`${this.name}/${name}: ${kind} probe still failing after ${timeoutSeconds} s\n${this.logs(name)}`);
          await sleep(500);
        }
      }
    }
  }

  /** Ready now: every container's readiness probe passes. */
  public async ready(): Promise<boolean> {
    if (this.containers.size === 0) return false;
    for (const name of this.containers.keys()) if (!(await this.probe(name, 'readiness'))) return false;
    return true;
  }

  public restarts(container: string): number {
    return this.containers.get(container)?.restarts ?? 0;
  }

  public logs(container: string): string {
    const file = path.join(this.ctx.logDir, `${container}.log`);
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  }

  /**
   * The kubelet's volume set-up for the pod's emptyDirs and claims, once per pod start, before any container.
   * An emptyDir is a fresh folder with mode 0777 whatever the kubelet's umask (kubernetes
   * pkg/volume/emptydir/empty_dir.go, setupDir and defaultPerm; `stickyBit` is not in the API the project targets),
   * then the fsGroup step with no change policy, so always applied. A claim keeps its files and gets the fsGroup
   * step with the pod's `fsGroupChangePolicy`. ConfigMaps, Secrets and projected volumes are written by
   * `writeProjected`/`writeProjectedSources`.
   */
  private setUpVolumes(): void {
    const sc = this.spec.securityContext ?? {};
    for (const v of this.spec.volumes ?? []) {
      if (!v.emptyDir) continue;
      const dir = this.emptyDirPath(v.name);
      fs.mkdirSync(dir, { recursive: true });
      fs.chmodSync(dir, 0o777);
      setVolumeOwnership(dir, sc.fsGroup, undefined, false);
    }
    const claims: Array<{ claim: string; readOnly: boolean }> = [
      ...this.ctx.claimTemplates.map((t) => ({ claim: `${t}-${this.name}`, readOnly: false })),
      ...(this.spec.volumes ?? []).filter((v: any) => v.persistentVolumeClaim)
        .map((v: any) => ({ claim: v.persistentVolumeClaim.claimName, readOnly: v.persistentVolumeClaim.readOnly === true })),
    ];
    for (const { claim, readOnly } of claims) setVolumeOwnership(this.ctx.claimDir(claim), sc.fsGroup, sc.fsGroupChangePolicy, readOnly);
  }

  private emptyDirPath(volume: string): string {
    return path.join(this.ctx.podDir, 'volumes', volume);
  }

  /** Resolves the container's env and mounts, or records it as skipped when its image cannot run here. */
  private prepare(c: any): Running | undefined {
    const image = localImage(c.image);
    if (!image) {
      this.skipped.push(`${c.name} (${c.image})`);
      return undefined;
    }
    const r: Running = { spec: c, image, env: this.resolveEnv(c, image), mounts: this.mounts(c), restarts: 0 };
    this.containers.set(c.name, r);
    return r;
  }

  private async supervise(r: Running): Promise<void> {
    let backoff = 1000;
    while (!this.stopping) {
      const started = Date.now();
      await this.launch(r);
      if (this.stopping) break;
      r.restarts++;
      backoff = Date.now() - started > 10_000 ? 1000 : Math.min(backoff * 2, 10_000);
      await sleep(backoff);
    }
  }

  /** Starts the container's process and resolves when it has started; `r.exited` resolves with its exit code. */
  private launch(r: Running): Promise<number> {
    const c = r.spec;
    const expand = (s: string) => expandVars(s, r.env);
    const args: string[] = (c.args ?? []).map(expand);
    const argv = c.command ? [...c.command.map(expand), ...args] : r.image.entrypoint(args);
    const setup = [
      'set -e',
      `hostname ${q(this.name)}`,
      // the image's account for its uid, beside the machine's own (read by initdb, ssh-less tools)
      `cat /etc/passwd > ${q(this.ctx.podDir)}/passwd; echo ${q(`${r.image.user}:x:${this.uid(r)}:${this.gid(r)}::/tmp:/bin/sh`)} >> ${q(this.ctx.podDir)}/passwd`,
      `mount --bind ${q(this.ctx.podDir)}/passwd /etc/passwd`,
      // the image's own files where the machine has others (below any volume mounted inside them)
      ...(r.image.overlays ?? []).map((o) => `mount --bind ${q(o.source)} ${q(o.target)}`),
      ...r.mounts.flatMap((m) => [
        `mkdir -p ${q(m.target)}`,
        `mount --bind ${q(m.source)} ${q(m.target)}`,
        ...(m.readOnly ? [`mount -o remount,bind,ro ${q(m.target)}`] : []),
      ]),
      // folders the image ships writable (unless a volume is mounted there)
      ...(r.image.writableDirs ?? []).filter((d) => !r.mounts.some((m) => m.target === d))
        .map((d) => `mkdir -p ${q(d)} && mount -t tmpfs -o mode=3777 tmpfs ${q(d)}`),
      // The container starts in the image's WORKDIR (which the image always has), as mounted inside the container.
      `mkdir -p ${q(c.workingDir ?? r.image.workdir)} && cd ${q(c.workingDir ?? r.image.workdir)}`,
      // The image's entrypoint runs only when the container does not replace it with `command`.
      `exec ${[...this.dropPrivileges(r), ...envArgs(r)].map(q).join(' ')} ${c.command ? 'sh' : r.image.shell ?? 'sh'} -c ${q(`${c.command ? ':' : r.image.prelude ?? ':'}\nexec "$@"`)} sh "$@"`,
    ].join('\n');
    const log = fs.openSync(path.join(this.ctx.logDir, `${c.name}.log`), 'a');
    const proc = spawn('ip', ['netns', 'exec', this.ctx.ns, 'unshare', '--mount', '--uts', '--pid', '--fork', '--kill-child=SIGKILL',
      // cwd /, never the test's: the container's user may not enter a 0700 checkout (mktemp -d).
      '--mount-proc', '--propagation', 'private', '--', 'sh', '-c', setup, 'sh', ...argv], { stdio: ['ignore', log, log], cwd: '/' });
    fs.closeSync(log);
    r.proc = proc;
    r.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
    return r.exited;
  }

  /** Sends a signal to the container's first process (PID 1 in its namespace), as the runtime does. */
  private signalInit(r: Running, signal: NodeJS.Signals): void {
    const pid = r.proc?.pid && childOf(r.proc.pid);
    if (pid) try { process.kill(pid, signal); } catch { /* gone */ }
  }

  private uid(r: Running): number {
    return r.spec.securityContext?.runAsUser ?? this.spec.securityContext?.runAsUser ?? 0;
  }

  private gid(r: Running): number {
    return r.spec.securityContext?.runAsGroup ?? this.spec.securityContext?.runAsGroup ?? this.uid(r);
  }

  private dropPrivileges(r: Running): string[] {
    const fsGroup = this.spec.securityContext?.fsGroup;
    const groups = fsGroup !== undefined ? `--groups=${fsGroup}` : '--clear-groups';
    return ['setpriv', `--reuid=${this.uid(r)}`, `--regid=${this.gid(r)}`, groups, '--'];
  }

  /** Kubelet order: `env` entries in order, `$(VAR)` referring to earlier ones; HOSTNAME is the pod name. */
  private resolveEnv(c: any, image: LocalImage): Record<string, string> {
    const env: Record<string, string> = { PATH: image.path, HOSTNAME: this.name, HOME: '/' };
    // The kubelet sets these in every container, whatever enableServiceLinks says.
    const api = this.ctx.kubernetes?.();
    if (api) Object.assign(env, { KUBERNETES_SERVICE_HOST: api.host, KUBERNETES_SERVICE_PORT: String(api.port) });
    for (const e of c.env ?? []) {
      if (e.value !== undefined) {
        env[e.name] = expandVars(e.value, env);
      } else if (e.valueFrom?.secretKeyRef) {
        const ref = e.valueFrom.secretKeyRef;
        const value = this.ctx.secret(ref.name)?.[ref.key];
        if (value === undefined && !ref.optional) throw new Error(`${this.name}/${c.name}: env ${e.name} needs Secret ${ref.name} key ${ref.key} (CreateContainerConfigError)`);
        if (value !== undefined) env[e.name] = value;
      } else if (e.valueFrom?.configMapKeyRef) {
        const ref = e.valueFrom.configMapKeyRef;
        const value = this.ctx.configMap(ref.name)?.[ref.key];
        if (value === undefined && !ref.optional) throw new Error(`${this.name}/${c.name}: env ${e.name} needs ConfigMap ${ref.name} key ${ref.key}`);
        if (value !== undefined) env[e.name] = value;
      } else if (e.valueFrom?.fieldRef) {
        const field = e.valueFrom.fieldRef.fieldPath;
        const fields: Record<string, string> = { 'metadata.name': this.name, 'metadata.namespace': this.ctx.namespace, 'status.podIP': this.ctx.ip, 'spec.nodeName': `node-${this.name}` };
        const label = /^metadata\.labels\['(.+)'\]$/.exec(field);
        const value = label ? this.labels[label[1]] : fields[field];
        if (value === undefined) throw new Error(`${this.name}/${c.name}: env ${e.name}: fieldRef ${field} is not modelled by the harness`);
        env[e.name] = value;
      } else {
        throw new Error(`${this.name}/${c.name}: env ${e.name}: this kind of valueFrom is not modelled by the harness`);
      }
    }
    return env;
  }

  /** Mount points, parents before children; volumes materialized under the pod's folder. */
  private mounts(c: any): Mount[] {
    const volumes = new Map<string, any>((this.spec.volumes ?? []).map((v: any) => [v.name, v]));
    const claims = new Set<string>(this.ctx.claimTemplates);
    const out: Mount[] = [];
    for (const m of c.volumeMounts ?? []) {
      const v = volumes.get(m.name);
      let source: string;
      if (claims.has(m.name)) {
        source = this.ctx.claimDir(`${m.name}-${this.name}`);
      } else if (v?.persistentVolumeClaim) {
        source = this.ctx.claimDir(v.persistentVolumeClaim.claimName);
      } else if (v?.emptyDir) {
        source = this.emptyDirPath(m.name);
      } else if (v?.configMap || v?.secret) {
        source = path.join(this.ctx.podDir, 'volumes', m.name);
        this.writeProjected(source, v);
      } else if (v?.projected) {
        source = path.join(this.ctx.podDir, 'volumes', m.name);
        this.writeProjectedSources(source, v);
      } else {
        throw new Error(`${this.name}/${c.name}: volume ${m.name} is not modelled by the harness (${JSON.stringify(v)})`);
      }
      fs.mkdirSync(source, { recursive: true });
      if (m.subPath) source = makeSubPath(source, m.subPath);
      out.push({ source, target: m.mountPath, readOnly: m.readOnly === true });
    }
    // The kubelet's ServiceAccount token volume: a pod that asks for it (our pods say true or false explicitly) gets
    // token, ca.crt and namespace here in every container that mounts nothing at that path itself.
    const tokenPath = '/var/run/secrets/kubernetes.io/serviceaccount';
    if (this.spec.automountServiceAccountToken === true && !out.some((m) => m.target === tokenPath)) {
      const dir = path.join(this.ctx.podDir, 'volumes', 'kube-api-access');
      fs.mkdirSync(dir, { recursive: true });
      const api = this.ctx.kubernetes?.();
      fs.writeFileSync(path.join(dir, 'token'), api ? api.tokenFor(this.spec.serviceAccountName ?? 'default') : 'no-api-server-stands-in');
      fs.writeFileSync(path.join(dir, 'ca.crt'), this.ctx.configMap('kube-root-ca.crt')?.['ca.crt'] ?? '');
      fs.writeFileSync(path.join(dir, 'namespace'), this.ctx.namespace);
      out.push({ source: dir, target: tokenPath, readOnly: true });
    }
    return out.sort((a, b) => a.target.length - b.target.length);
  }

  /**
   * A projected volume: ServiceAccount token (from the API stand-in, for the pod's serviceAccountName), ConfigMap
   * items, downward API namespace/name. Files are owned by root and the fsGroup, with the volume's defaultMode.
   */
  private writeProjectedSources(dir: string, v: any): void {
    fs.mkdirSync(dir, { recursive: true });
    const mode = v.projected.defaultMode ?? 0o644;
    const write = (rel: string, content: string, itemMode?: number) => {
      const file = path.join(dir, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
      fs.chmodSync(file, itemMode ?? mode);
      const fsGroup = this.spec.securityContext?.fsGroup;
      if (fsGroup !== undefined) fs.chownSync(file, 0, fsGroup);
    };
    for (const src of v.projected.sources ?? []) {
      if (src.serviceAccountToken) {
        const api = this.ctx.kubernetes?.();
        write(src.serviceAccountToken.path, api ? api.tokenFor(this.spec.serviceAccountName ?? 'default') : 'no-api-server-stands-in');
      } else if (src.configMap) {
        const data = this.ctx.configMap(src.configMap.name);
        if (!data) {
          if (src.configMap.optional) continue;
          throw new Error(`${this.name}: volume ${v.name} needs ConfigMap ${src.configMap.name} (the pod would stay ContainerCreating)`);
        }
        const items: Array<{ key: string; path: string; mode?: number }> = src.configMap.items ?? Object.keys(data).map((k) => ({ key: k, path: k }));
        for (const item of items) write(item.path, data[item.key], item.mode);
      } else if (src.downwardAPI) {
        const fields: Record<string, string> = { 'metadata.namespace': this.ctx.namespace, 'metadata.name': this.name };
        for (const item of src.downwardAPI.items ?? []) {
          const value = fields[item.fieldRef?.fieldPath];
          if (value === undefined) throw new Error(`${this.name}: volume ${v.name}: downwardAPI ${JSON.stringify(item)} is not modelled by the harness`);
          write(item.path, value, item.mode);
        }
      } else {
        throw new Error(`${this.name}: volume ${v.name}: projected source ${JSON.stringify(src)} is not modelled by the harness`);
      }
    }
  }

  private writeProjected(dir: string, v: any): void {
    const data = v.configMap ? this.ctx.configMap(v.configMap.name) : this.ctx.secret(v.secret.secretName);
    const ref = v.configMap ?? v.secret;
    if (!data) {
      if (ref.optional) return;
      throw new Error(`${this.name}: volume ${v.name} needs ${v.configMap ? 'ConfigMap' : 'Secret'} ${ref.name ?? ref.secretName} (the pod would stay ContainerCreating)`);
    }
    fs.mkdirSync(dir, { recursive: true });
    const items: Array<{ key: string; path: string; mode?: number }> = ref.items ?? Object.keys(data).map((k) => ({ key: k, path: k }));
    for (const item of items) {
      if (data[item.key] === undefined) throw new Error(`${this.name}: volume ${v.name}: key ${item.key} is missing`);
      const file = path.join(dir, item.path);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, data[item.key]);
      fs.chmodSync(file, item.mode ?? ref.defaultMode ?? 0o644);
      const fsGroup = this.spec.securityContext?.fsGroup;
      if (fsGroup !== undefined) fs.chownSync(file, 0, fsGroup);
    }
  }
}

/* eslint-disable no-bitwise */
/**
 * The kubelet's fsGroup step for one volume (kubernetes pkg/volume/volume_linux.go, VolumeOwnership.ChangePermissions):
 * nothing without an fsGroup; nothing either when the policy is OnRootMismatch and the root is a folder of the group
 * whose mode already has group and owner rw and x (r and x for a read-only volume) and setgid. Otherwise every file,
 * folder and symlink goes to the group (lchown, owner kept), and every file gets rw for owner and group added to its
 * mode (r for a read-only volume), every folder that plus x and setgid; a symlink's mode is left alone.
 */
function setVolumeOwnership(root: string, fsGroup: number | undefined, policy: string | undefined, readOnly: boolean): void {
  if (fsGroup === undefined) return;
  const rw = readOnly ? 0o440 : 0o660;
  const dirBits = rw | 0o110 | 0o2000;
  if (policy === 'OnRootMismatch') {
    const st = fs.statSync(root);
    if (st.isDirectory() && st.gid === fsGroup && (st.mode & dirBits) === dirBits) return;
  }
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    fs.lchownSync(p, -1, fsGroup);
    if (st.isSymbolicLink()) return;
    fs.chmodSync(p, (st.mode & 0o7777) | (st.isDirectory() ? dirBits : rw));
  };
  walk(root);
}

/**
 * A mount's subPath, as the kubelet makes it when it is missing (kubernetes pkg/kubelet/kubelet_pods.go makeMounts,
 * then SafeMakeDir in pkg/volume/util/subpath/subpath_linux.go): every missing folder is created by root with the
 * volume root's mode, setgid, setuid and sticky bits included; its group is root's, or the parent's under setgid.
 */
function makeSubPath(volumeRoot: string, subPath: string): string {
  const mode = fs.statSync(volumeRoot).mode & 0o7777;
  let p = volumeRoot;
  for (const part of subPath.split('/').filter(Boolean)) {
    p = path.join(p, part);
    if (fs.existsSync(p)) continue;
    fs.mkdirSync(p);
    fs.chmodSync(p, mode);
  }
  return p;
}
/* eslint-enable no-bitwise */

/** `$(VAR)` becomes the variable's value when it is defined, `$$(VAR)` stays `$(VAR)` (Kubernetes' expansion rules). */
export function expandVars(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name) => (m === '$$' ? '$' : name in env ? env[name] : m));
}

function envArgs(r: Running): string[] {
  return ['env', '-i', ...Object.entries(r.env).map(([k, v]) => `${k}=${v}`)];
}

/** Single-quotes for sh. */
export function q(s: string): string {
  return `'${s.replace(/'/g, '\'\\\'\'')}'`;
}

/** The first child of a process (unshare --fork's child is the container's PID 1). */
function childOf(pid: number): number | undefined {
  try {
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return children.length ? Number(children[0]) : undefined;
  } catch {
    return undefined;
  }
}

function portOf(c: any, port: number | string): number {
  if (typeof port === 'number') return port;
  const found = (c.ports ?? []).find((p: any) => p.name === port);
  if (!found) throw new Error(`probe port ${port} is not a port of ${c.name}`);
  return found.containerPort;
}

async function tcpOpen(host: string, port: number, timeoutSeconds: number): Promise<boolean> {
  const net = await import('net');
  return new Promise((resolve) => {
    const s = net.connect({ host, port, timeout: timeoutSeconds * 1000 }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
    s.on('timeout', () => { s.destroy(); resolve(false); });
  });
}

/** Runs a command, with a timeout, collecting its output. */
export function run(cmd: string, args: string[], timeoutSeconds = 60, stdin?: string): Promise<ExecResult> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], cwd: '/' });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutSeconds * 1000);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 124 : 1), stdout, stderr });
    });
    p.stdin.on('error', () => undefined); // a command that exits before reading its input
    p.stdin.end(stdin ?? '');
  });
}
