import { isIP } from 'net';

/** An IPv4 or IPv6 CIDR block as NetworkPolicy `ipBlock` and `loadBalancerSourceRanges` take it: `10.8.0.0/16`, `fd00::/64`. */
export function isCidr(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const [address, mask, ...rest] = value.split('/');
  const version = isIP(address);
  if (rest.length > 0 || version === 0 || mask === undefined || !/^\d{1,3}$/.test(mask)) return false;
  return Number(mask) <= (version === 4 ? 32 : 128);
}
