/**
 * NetworkPolicy peers as the API server reads them (networking/v1 NetworkPolicyPeer, pkg/apis/networking/v1
 * SetDefaults_NetworkPolicy): which peers admit every source, and which directions a policy isolates.
 */

/** Ranges no pod address comes from (link-local, loopback): an except inside them leaves every pod admitted. */
const NON_POD_RANGES_V4: Array<[number, number]> = [[0xa9fe0000, 16], [0x7f000000, 8]];

/** An IPv4 CIDR as [address, prefix length], or undefined. */
function parseV4(cidr: unknown): [number, number] | undefined {
  const m = typeof cidr === 'string' ? /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr.trim()) : null;
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  return [octets.reduce((a, o) => a * 256 + o, 0), prefix];
}

/** Whether an except cannot cover pod addresses: inside link-local or loopback (e.g. the metadata endpoint 169.254.169.254/32). */
function exceptSparesPods(except: unknown): boolean {
  if (typeof except === 'string' && /^(fe80:|::1\/128$)/i.test(except.trim())) return true;
  const v4 = parseV4(except);
  if (!v4) return false;
  const [address, prefix] = v4;
  return NON_POD_RANGES_V4.some(([range, bits]) => prefix >= bits && Math.floor(address / 2 ** (32 - bits)) === Math.floor(range / 2 ** (32 - bits)));
}

/** Whether an ipBlock admits every address: 0.0.0.0/0 or ::/0, with no except that could cover pod addresses. */
export function ipBlockAdmitsAll(ipBlock: any): boolean {
  if (!ipBlock || typeof ipBlock !== 'object' || !['0.0.0.0/0', '::/0'].includes(String(ipBlock.cidr).trim())) return false;
  const excepts = Array.isArray(ipBlock.except) ? ipBlock.except : [];
  return excepts.every(exceptSparesPods);
}

/** Whether a peer admits every source: `namespaceSelector: {}` without podSelector (every pod), or an ipBlock of every address. */
export function peerAdmitsAll(peer: any): boolean {
  if (!peer || typeof peer !== 'object') return false;
  if (peer.ipBlock !== undefined) return ipBlockAdmitsAll(peer.ipBlock);
  const ns = peer.namespaceSelector;
  return peer.podSelector === undefined && !!ns && typeof ns === 'object'
    && Object.keys(ns.matchLabels ?? {}).length === 0 && (Array.isArray(ns.matchExpressions) ? ns.matchExpressions : []).length === 0;
}

/** The rules of a policy in one direction; anything but a list (malformed YAML) counts as none. */
export function rulesOf(policy: any, field: 'ingress' | 'egress'): any[] {
  const rules = policy?.spec?.[field];
  return Array.isArray(rules) ? rules : [];
}

/**
 * Whether a policy isolates a direction. Without policyTypes (or with an empty list) the API server defaults them
 * (SetDefaults_NetworkPolicy): Ingress always, Egress only when the policy has egress rules.
 */
export function isolatesDirection(policy: any, direction: 'Ingress' | 'Egress'): boolean {
  const types = policy?.spec?.policyTypes;
  if (Array.isArray(types) && types.length > 0) return types.includes(direction);
  return direction === 'Ingress' || rulesOf(policy, 'egress').length > 0;
}
