import { Size } from 'cdk8s';

/** A Size as a Kubernetes quantity: whole GiB where it is one, else MiB. */
export function quantityOf(size: Size): string {
  const mib = size.toMebibytes();
  return mib % 1024 === 0 ? `${mib / 1024}Gi` : `${mib}Mi`;
}

/** Binary and decimal suffixes of resource.Quantity (the sub-unit ones for CPU), for comparing sizes and requests. */
export const QUANTITY_FACTORS: Record<string, number> = {
  'n': 1e-9,
  'u': 1e-6,
  'm': 1e-3,
  '': 1,
  'k': 1e3,
  'M': 1e6,
  'G': 1e9,
  'T': 1e12,
  'P': 1e15,
  'E': 1e18,
  'Ki': 2 ** 10,
  'Mi': 2 ** 20,
  'Gi': 2 ** 30,
  'Ti': 2 ** 40,
  'Pi': 2 ** 50,
  'Ei': 2 ** 60,
};

/** Bytes of a quantity as a manifest writes it (`10Gi`, `500M`, 1073741824); undefined when it is not one. */
export function quantityBytes(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  const match = typeof value === 'string' ? /^(\d+(?:\.\d+)?)([KMGTPE]i|[kMGTPE])?$/.exec(value) : null;
  return match ? Number(match[1]) * QUANTITY_FACTORS[match[2] ?? ''] : undefined;
}
