import { IPolicyRule } from '../rule';
import { defaultDeny } from './dok/default-deny';
import { gracefulStop } from './dok/graceful-stop';
import { guaranteedQos } from './dok/guaranteed-qos';
import { headlessIdentity } from './dok/headless-identity';
import { priorityClass } from './dok/priority-class';
import { probes } from './dok/probes';
import { volumeRetention } from './dok/volume-retention';
import { zoneHostSpread } from './dok/zone-host-spread';

export const DOK_WORKLOAD_RULES: IPolicyRule[] = [
  guaranteedQos,
  zoneHostSpread,
  priorityClass,
  headlessIdentity,
  volumeRetention,
  probes,
  gracefulStop,
  defaultDeny,
];
