import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/**
 * etcd standing in for the Kubernetes API as Patroni's store: clients on the pod network's host address (:2379), the
 * peer port per network id so two runs on one machine never meet. Its log is `<base>/etcd.log`, its data `<base>/etcd`.
 */
export function startEtcd(base: string, host: string, id: number): ChildProcess {
  const log = fs.openSync(path.join(base, 'etcd.log'), 'w');
  const etcd = spawn('etcd', ['--name', 'e', '--data-dir', path.join(base, 'etcd'),
    '--listen-client-urls', `http://${host}:2379`, '--advertise-client-urls', `http://${host}:2379`,
    '--listen-peer-urls', `http://127.0.0.1:${22000 + id}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${22000 + id}`,
    '--initial-cluster', `e=http://127.0.0.1:${22000 + id}`], { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  return etcd;
}

/** argv prefix that runs a command as the machine's postgres user (Debian's packages own their files as it). */
export const asPostgres = () => ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--'];

/**
 * One Debian Patroni process standing in for a member's pod: its network namespace, its address and its own folder
 * (patroni.yml, patroni.log), where it starts: the postgres user can enter it (a checkout under a 0700 folder it cannot).
 */
export class PatroniMember {
  public proc?: ChildProcess;
  constructor(public readonly name: string, public readonly ns: string, public readonly ip: string, public readonly dir: string) {}

  public start(): void {
    const log = fs.openSync(path.join(this.dir, 'patroni.log'), 'a');
    this.proc = spawn('ip', ['netns', 'exec', this.ns, ...asPostgres(), 'env', '-i', 'PATH=/usr/bin:/bin', `HOME=${this.dir}`,
      'patroni', path.join(this.dir, 'patroni.yml')], { stdio: ['ignore', log, log], cwd: this.dir });
    fs.closeSync(log);
  }

  /** SIGTERM to Patroni (the kubelet's, after the preStop hook), then wait for it to stop PostgreSQL and exit. */
  public async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((resolve) => p.on('exit', resolve));
    p.kill('SIGTERM');
    await exited;
  }

  /** Patroni's REST API on the member's address. */
  public async api(p: string): Promise<any> {
    const r = await fetch(`http://${this.ip}:8008${p}`, { signal: AbortSignal.timeout(5000) });
    return r.json();
  }
}
