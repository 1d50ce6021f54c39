import { k8s } from 'cdk8s-plus-28';
import { millicoresOf } from '../private/numbers';

/** The QoS class asked of the database pods. */
export enum QosClass {
  /**
   * Requests equal limits on every container, init containers and sidecars included: the pod is the
   * last to be evicted under node pressure, and its CPU and memory are never taken back.
   */
  GUARANTEED = 'Guaranteed',
  /**
   * Memory requests equal limits, but no CPU limit: the pod may use idle CPU and is throttled less,
   * at the price of a lower eviction rank under node pressure.
   */
  BURSTABLE = 'Burstable',
}

/** Resources of one container: requests always; limits per QoS class. */
export function containerResources(cpuMillis: number, memoryMebibytes: number, qos: QosClass): k8s.ResourceRequirements {
  const cpu = k8s.Quantity.fromString(`${cpuMillis}m`);
  const memory = k8s.Quantity.fromString(`${memoryMebibytes}Mi`);
  return {
    requests: { cpu, memory },
    limits: qos === QosClass.GUARANTEED ? { cpu, memory } : { memory },
  };
}

/**
 * Reads a cdk8s-plus `Cpu` amount ("250m", "2", "0.5") as millicores; NaN when it is not a plain
 * decimal of whole millicores (exponent forms such as "1e+24m", fractions of a millicore).
 */
export function cpuToMillis(amount: string): number {
  return millicoresOf(amount);
}
