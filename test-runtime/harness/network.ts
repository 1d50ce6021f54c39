import { execFileSync } from 'child_process';
import * as fs from 'fs';

/**
 * A pod network on one machine: a Linux bridge, and per pod a network namespace joined to it by a veth
 * pair, so every pod has its own address and its own loopback (two members both listen on 6379, as in a
 * cluster). Names resolve through /etc/netns/<ns>/hosts, which `ip netns exec` mounts over /etc/hosts.
 */
export class PodNetwork {
  /**
   * A network for this process: the first id (from `start`) no live process owns. Each id has an owner file
   * under /run/cdkdb-runtime, so two runs on one machine never take or clean each other's networks.
   */
  public static claim(start: number): PodNetwork {
    fs.mkdirSync(OWNERS, { recursive: true });
    for (let n = 0; n < 200; n++) {
      const id = 1 + ((start + n) % 200);
      const file = `${OWNERS}/${id}`;
      if (ownerAlive(file)) continue;
      fs.writeFileSync(file, String(process.pid));
      return new PodNetwork(id);
    }
    throw new Error('no free pod network id (1..200): every one is owned by a live process');
  }

  /** What runs killed before `destroy()` left: ids whose owner is gone. */
  public static removeAllLeftovers(): void {
    for (let id = 1; id <= 200; id++) {
      if (!ownerAlive(`${OWNERS}/${id}`)) new PodNetwork(id, false).removeLeftovers();
    }
  }

  private readonly bridge: string;
  private readonly subnet: string;
  private next = 10;
  private readonly namespaces = new Map<string, { ns: string; ip: string }>();
  private readonly hostNames = new Map<string, string[]>();

  /** `id` keeps concurrent runs apart (1..200); every name is derived from it. */
  public constructor(public readonly id: number, create = true) {
    this.bridge = `cdkdb${id}`;
    this.subnet = `10.213.${id}`;
    if (!create) return;
    this.removeLeftovers();
    this.ip('link', 'add', this.bridge, 'type', 'bridge');
    this.ip('addr', 'add', `${this.subnet}.1/24`, 'dev', this.bridge);
    this.ip('link', 'set', this.bridge, 'up');
  }

  /** The address of the machine itself on the pod network (where a test reaches pods from). */
  public get hostAddress(): string {
    return `${this.subnet}.1`;
  }

  /** Creates (once) the namespace of a pod and returns its name and address; stable across restarts. */
  public attach(pod: string): { ns: string; ip: string } {
    const existing = this.namespaces.get(pod);
    if (existing) return existing;
    const n = this.next++;
    const ns = `cdkdb${this.id}-${n}`;
    const ip = `${this.subnet}.${n}`;
    const hostSide = `cdkv${this.id}x${n}`;
    this.ip('netns', 'add', ns);
    this.ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    this.ip('link', 'set', hostSide, 'master', this.bridge);
    this.ip('link', 'set', hostSide, 'up');
    this.ip('-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0');
    this.ip('-n', ns, 'link', 'set', 'eth0', 'up');
    this.ip('-n', ns, 'link', 'set', 'lo', 'up');
    const entry = { ns, ip };
    this.namespaces.set(pod, entry);
    this.writeHosts();
    return entry;
  }

  /** Declares DNS names for an address (pod FQDNs, Service names); written to every pod's hosts file. */
  public addNames(ip: string, names: string[]): void {
    this.hostNames.set(ip, [...(this.hostNames.get(ip) ?? []), ...names]);
    this.writeHosts();
  }

  /** Points a name (a Service) at another address, e.g. when the Service's endpoints change. */
  public setName(name: string, ip: string | undefined): void {
    for (const [addr, names] of this.hostNames) this.hostNames.set(addr, names.filter((n) => n !== name));
    if (ip) this.hostNames.set(ip, [...(this.hostNames.get(ip) ?? []), name]);
    this.writeHosts();
  }

  public destroy(): void {
    for (const { ns } of this.namespaces.values()) {
      this.killAll(ns);
      try { this.ip('netns', 'del', ns); } catch { /* already gone */ }
      fs.rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
    try { this.ip('link', 'del', this.bridge); } catch { /* already gone */ }
    fs.rmSync(`${OWNERS}/${this.id}`, { force: true });
  }

  /** What an earlier run with the same id left when it was killed before `destroy()`. */
  private removeLeftovers(): void {
    const list = (args: string[]) => {
      try { return execFileSync('ip', args, { encoding: 'utf8' }); } catch { return ''; }
    };
    for (const line of list(['netns', 'list']).split('\n')) {
      const ns = line.split(' ')[0];
      if (ns.startsWith(`cdkdb${this.id}-`)) {
        this.killAll(ns);
        try { this.ip('netns', 'del', ns); } catch { /* gone */ }
      }
    }
    for (const m of list(['-o', 'link', 'show']).matchAll(/^\d+: ([^:@]+)/gm)) {
      if (m[1] === this.bridge || m[1].startsWith(`cdkv${this.id}x`)) {
        try { this.ip('link', 'del', m[1]); } catch { /* gone */ }
      }
    }
  }

  /** Sends a signal to every process of a pod (all its containers share its network namespace). */
  public signalAll(pod: string, signal: NodeJS.Signals): void {
    const entry = this.namespaces.get(pod);
    if (!entry) return;
    for (const pid of this.pids(entry.ns)) {
      try { process.kill(Number(pid), signal); } catch { /* gone */ }
    }
  }

  private pids(ns: string): string[] {
    try { return execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').filter(Boolean); } catch { return []; }
  }

  /** Every process left in a pod's network namespace. */
  private killAll(ns: string): void {
    for (const pid of this.pids(ns)) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone */ }
    }
  }

  private writeHosts(): void {
    const lines = ['127.0.0.1 localhost'];
    for (const [ip, names] of this.hostNames) if (names.length) lines.push(`${ip} ${names.join(' ')}`);
    for (const { ns } of this.namespaces.values()) {
      fs.mkdirSync(`/etc/netns/${ns}`, { recursive: true });
      fs.writeFileSync(`/etc/netns/${ns}/hosts`, lines.join('\n') + '\n');
    }
  }

  private ip(...args: string[]): void {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }
}

const OWNERS = '/run/cdkdb-runtime';

/** True when the owner file names a process that is still running (not this one's dead predecessor). */
function ownerAlive(file: string): boolean {
  let pid: number;
  try { pid = Number(fs.readFileSync(file, 'utf8')); } catch { return false; }
  if (!pid || pid === process.pid) return pid === process.pid;
  try { process.kill(pid, 0); return true; } catch { return false; }
}
