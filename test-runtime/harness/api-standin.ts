import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as https from 'https';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';

/** One request the stand-in answered. */
export interface ApiCall {
  readonly method: string;
  readonly path: string;
  /** The ServiceAccount whose token came with the request, when it was one of ours. */
  readonly serviceAccount?: string;
  readonly status: number;
  readonly body?: unknown;
}

/** What the stand-in needs from the cluster around it. */
export interface ApiCluster {
  readonly namespace: string;
  readonly manifests: any[];
  /** The labels of a running pod (mutated in place by a patch), or undefined when there is no such pod. */
  podLabels(name: string): Record<string, string> | undefined;
}

/**
 * A stand-in for the Kubernetes API server, implementing exactly what the role labeller calls: a JSON merge patch
 * (RFC 7386) of a pod's `metadata.labels`, `PATCH /api/v1/namespaces/<ns>/pods/<name>` with
 * `Content-Type: application/merge-patch+json`. Served over HTTPS with its own CA (the pods get it as
 * `kube-root-ca.crt`), authenticated by bearer tokens it minted per ServiceAccount, and authorized like RBAC from
 * the synthesized Roles and RoleBindings (apiGroups, resources, verbs, resourceNames; deny by default).
 * Everything else is answered 404, and every request is recorded in `calls`.
 * @see https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources
 */
export class ApiStandin {
  /** Starts the stand-in on `host` (the machine's address on the pod network), on a free port. */
  public static async start(cluster: ApiCluster, host: string): Promise<ApiStandin> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-standin-'));
    try {
      // A self-signed certificate for the address the pods dial (KUBERNETES_SERVICE_HOST is an IP).
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=kube-apiserver-standin', '-addext', `subjectAltName=IP:${host}`,
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
      const key = fs.readFileSync(path.join(dir, 'key.pem'), 'utf8');
      const cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
      const standin = new ApiStandin(cluster, host, cert, key);
      await new Promise<void>((resolve) => standin.server.listen(0, host, resolve));
      return standin;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  public readonly calls: ApiCall[] = [];
  private readonly server: https.Server;
  private readonly tokens = new Map<string, string>();

  private constructor(private readonly cluster: ApiCluster, public readonly host: string, public readonly caPem: string, key: string) {
    this.server = https.createServer({ key, cert: caPem }, (req, res) => {
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        const call = this.handle(req.method ?? '', req.url ?? '', String(req.headers.authorization ?? ''), String(req.headers['content-type'] ?? ''), body);
        this.calls.push(call);
        res.writeHead(call.status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(call.body ?? { kind: 'Status', code: call.status }));
      });
    });
  }

  public get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The token a pod of this ServiceAccount gets in its projected volume. */
  public tokenFor(serviceAccount: string): string {
    let token = [...this.tokens].find(([, sa]) => sa === serviceAccount)?.[0];
    if (!token) {
      token = `standin-${serviceAccount}-${Math.random().toString(36).slice(2)}`;
      this.tokens.set(token, serviceAccount);
    }
    return token;
  }

  /** The label patches applied, as `<pod> <key>=<value>` (`<key>-` for a removal), in order. */
  public get labelChanges(): string[] {
    return this.calls.filter((c) => c.method === 'PATCH' && c.status === 200).flatMap((c: any) => {
      const pod = c.path.split('/').pop();
      return Object.entries(c.patch ?? {}).map(([k, v]) => (v === null ? `${pod} ${k}-` : `${pod} ${k}=${v}`));
    });
  }

  public async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(method: string, url: string, authorization: string, contentType: string, body: string): ApiCall & { patch?: unknown } {
    const serviceAccount = this.tokens.get(authorization.replace(/^Bearer /, ''));
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/?]+)$/.exec(url);
    const status = (code: number, reason: string) => ({ method, path: url, serviceAccount, status: code, body: { kind: 'Status', code, reason } });
    if (!serviceAccount) return status(401, 'Unauthorized');
    if (!m || method !== 'PATCH') return status(404, 'NotFound: the stand-in implements PATCH of a pod only');
    const [, namespace, pod] = m;
    if (!this.allowed(serviceAccount, namespace, 'patch', pod)) return status(403, `Forbidden: ${serviceAccount} cannot patch pods/${pod}`);
    if (contentType !== 'application/merge-patch+json') return status(415, `UnsupportedMediaType: ${contentType}`);
    const labels = this.cluster.podLabels(pod);
    if (!labels) return status(404, `NotFound: pods ${pod}`);
    let patch: any;
    try { patch = JSON.parse(body); } catch { return status(400, 'BadRequest: not JSON'); }
    const changes = patch?.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) delete labels[k];
      else if (typeof v === 'string') labels[k] = v;
      else return status(422, `Invalid: label ${k} must be a string`);
    }
    return { method, path: url, serviceAccount, status: 200, patch: changes, body: { kind: 'Pod', apiVersion: 'v1', metadata: { name: pod, namespace, labels } } };
  }

  /** RBAC: a RoleBinding of this namespace names the ServiceAccount and its Role has a rule that allows the request. */
  private allowed(serviceAccount: string, namespace: string, verb: string, name: string): boolean {
    if (namespace !== this.cluster.namespace) return false;
    const roles = this.cluster.manifests
      .filter((b) => b.kind === 'RoleBinding' && (b.subjects ?? []).some((s: any) => s.kind === 'ServiceAccount' && s.name === serviceAccount))
      .map((b) => this.cluster.manifests.find((r) => r.kind === 'Role' && r.metadata.name === b.roleRef.name))
      .filter(Boolean);
    return roles.some((r) => (r.rules ?? []).some((rule: any) =>
      (rule.apiGroups ?? []).includes('')
      && (rule.resources ?? []).includes('pods')
      && (rule.verbs ?? []).includes(verb)
      && (rule.resourceNames === undefined || rule.resourceNames.includes(name))));
  }
}
