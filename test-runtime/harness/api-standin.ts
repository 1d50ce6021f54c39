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
 * A stand-in for the Kubernetes API server, implementing exactly what our pods call: a JSON merge patch
 * (RFC 7386) of a pod's `metadata.labels`, `PATCH /api/v1/namespaces/<ns>/pods/<name>` with
 * `Content-Type: application/merge-patch+json` (the role labeller), and GET, POST (create, 409 when it exists) and PUT
 * (update) of Secrets in any namespace (the Secret copier). Served over HTTPS with its own CA (the pods get it as
 * `kube-root-ca.crt` and in their mounted ServiceAccount folder) on port 443 of the pod network, as
 * `kubernetes.default.svc`; authenticated by bearer tokens it minted per ServiceAccount, and authorized like RBAC
 * from the synthesized Roles and RoleBindings of the request's namespace (apiGroups, resources, verbs,
 * resourceNames; a rule with resourceNames never allows `create`; deny by default). Everything else is answered
 * 404, and every request is recorded in `calls`.
 * @see https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources
 */
export class ApiStandin {
  /** Starts the stand-in on `host` (the machine's address on the pod network), port 443 as `kubernetes.default.svc`. */
  public static async start(cluster: ApiCluster, host: string): Promise<ApiStandin> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-standin-'));
    try {
      // A self-signed certificate for the address the pods dial (KUBERNETES_SERVICE_HOST is an IP).
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=kube-apiserver-standin', '-addext', `subjectAltName=IP:${host},DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local`,
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
      const key = fs.readFileSync(path.join(dir, 'key.pem'), 'utf8');
      const cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
      const standin = new ApiStandin(cluster, host, cert, key);
      await new Promise<void>((resolve) => standin.server.listen(443, host, resolve));
      return standin;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  public readonly calls: ApiCall[] = [];
  /** Secrets, by `<namespace>/<name>`, as the API server returns them (values base64 in `data`). */
  private readonly secrets = new Map<string, any>();
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

  /** Creates or replaces a Secret, as another writer (the credentials Job, a rotation) would. */
  public putSecret(namespace: string, name: string, data: Record<string, string>): void {
    this.secrets.set(`${namespace}/${name}`, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name, namespace },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    });
  }

  public deleteSecret(namespace: string, name: string): void {
    this.secrets.delete(`${namespace}/${name}`);
  }

  /** A Secret's values, decoded, or undefined when it does not exist. */
  public secretData(namespace: string, name: string): Record<string, string> | undefined {
    const secret = this.secrets.get(`${namespace}/${name}`);
    return secret && Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(String(v), 'base64').toString()]));
  }

  public async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(method: string, url: string, authorization: string, contentType: string, body: string): ApiCall & { patch?: unknown } {
    const serviceAccount = this.tokens.get(authorization.replace(/^Bearer /, ''));
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/?]+)$/.exec(url);
    const secret = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/?]+))?$/.exec(url);
    const status = (code: number, reason: string) => ({ method, path: url, serviceAccount, status: code, body: { kind: 'Status', code, reason } });
    if (!serviceAccount) return status(401, 'Unauthorized');
    if (secret) return this.secretCall(method, url, serviceAccount, secret[1], secret[2], body);
    if (!m || method !== 'PATCH') return status(404, 'NotFound: the stand-in implements PATCH of a pod and Secrets only');
    const [, namespace, pod] = m;
    if (!this.allowed(serviceAccount, namespace, 'pods', 'patch', pod)) return status(403, `Forbidden: ${serviceAccount} cannot patch pods/${pod}`);
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

  /** GET / POST / PUT of a Secret, each authorized as its verb (get, create, update). */
  private secretCall(method: string, url: string, serviceAccount: string, namespace: string, name: string | undefined, body: string): ApiCall {
    const status = (code: number, reason: string, obj?: unknown) => ({ method, path: url, serviceAccount, status: code, body: obj ?? { kind: 'Status', code, reason } });
    const verb = method === 'GET' && name ? 'get' : method === 'POST' && !name ? 'create' : method === 'PUT' && name ? 'update' : undefined;
    if (!verb) return status(405, 'MethodNotAllowed: the stand-in implements GET, POST and PUT of Secrets only');
    if (!this.allowed(serviceAccount, namespace, 'secrets', verb, name)) return status(403, `Forbidden: ${serviceAccount} cannot ${verb} secrets in ${namespace}`);
    if (verb === 'get') {
      const found = this.secrets.get(`${namespace}/${name}`);
      return found ? status(200, 'OK', found) : status(404, `NotFound: secrets ${name}`);
    }
    let obj: any;
    try { obj = JSON.parse(body); } catch { return status(400, 'BadRequest: not JSON'); }
    const objName = obj?.metadata?.name;
    if (obj?.kind !== 'Secret' || typeof objName !== 'string') return status(400, 'BadRequest: not a Secret with a name');
    if (obj.metadata.namespace !== undefined && obj.metadata.namespace !== namespace) return status(400, 'BadRequest: namespace does not match the URL');
    if (verb === 'update' && objName !== name) return status(400, 'BadRequest: name does not match the URL');
    for (const v of Object.values(obj.data ?? {})) {
      if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) return status(400, 'BadRequest: data values must be base64');
    }
    for (const v of Object.values(obj.stringData ?? {})) if (typeof v !== 'string') return status(400, 'BadRequest: stringData values must be strings');
    // As the API server stores it: stringData merged into data, base64 encoded, and not kept.
    const data = { ...obj.data, ...Object.fromEntries(Object.entries(obj.stringData ?? {}).map(([k, v]) => [k, Buffer.from(String(v)).toString('base64')])) };
    const key = `${namespace}/${objName}`;
    if (verb === 'create' && this.secrets.has(key)) return status(409, `AlreadyExists: secrets ${objName}`);
    if (verb === 'update' && !this.secrets.has(key)) return status(404, `NotFound: secrets ${objName}`);
    const { stringData: _merged, ...rest } = obj;
    const stored = { ...rest, data, metadata: { ...obj.metadata, namespace } };
    this.secrets.set(key, stored);
    return status(verb === 'create' ? 201 : 200, 'OK', stored);
  }

  /**
   * RBAC: a RoleBinding of the request's namespace names the ServiceAccount (of the cluster's namespace) and its Role,
   * of that namespace, has a rule that allows the request. Kubernetes cannot restrict `create` by name: a rule with
   * resourceNames never allows it.
   */
  private allowed(serviceAccount: string, namespace: string, resource: string, verb: string, name: string | undefined): boolean {
    const home = this.cluster.namespace;
    const nsOf = (o: any) => o.metadata?.namespace ?? home;
    const roles = this.cluster.manifests
      .filter((b) => b.kind === 'RoleBinding' && nsOf(b) === namespace
        && (b.subjects ?? []).some((s: any) => s.kind === 'ServiceAccount' && s.name === serviceAccount && (s.namespace ?? namespace) === home))
      .map((b) => this.cluster.manifests.find((r) => r.kind === 'Role' && r.metadata.name === b.roleRef.name && nsOf(r) === namespace))
      .filter(Boolean);
    return roles.some((r) => (r.rules ?? []).some((rule: any) =>
      (rule.apiGroups ?? []).includes('')
      && (rule.resources ?? []).includes(resource)
      && (rule.verbs ?? []).includes(verb)
      && (rule.resourceNames === undefined || (verb !== 'create' && name !== undefined && rule.resourceNames.includes(name)))));
  }
}
