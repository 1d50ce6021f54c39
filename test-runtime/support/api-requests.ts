import * as https from 'https';
import { ApiStandin } from '../harness/api-standin';

/** Every Secret key the objects' pods read through `secretKeyRef`, as `<secret>/<key>`, sorted. */
export function secretKeyRefs(objects: any[]): string[] {
  const refs = new Set<string>();
  const walk = (v: any): void => {
    if (Array.isArray(v)) {v.forEach(walk);} else if (v && typeof v === 'object') {
      if (v.secretKeyRef) refs.add(`${v.secretKeyRef.name}/${v.secretKeyRef.key}`);
      Object.values(v).forEach(walk);
    }
  };
  walk(objects);
  return [...refs].sort();
}

/** A request to the API stand-in with a ServiceAccount's token, as a pod makes it; resolves to the HTTP status. */
export function requestAs(api: ApiStandin, token: string, method: string, path: string, body?: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: api.host,
      port: api.port,
      method,
      path,
      ca: api.caPem,
      servername: 'kubernetes.default.svc',
      headers: { 'Authorization': `Bearer ${token}`, 'Content-Type': 'application/json' },
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
