import { IPolicyRule } from '../rule';
import { budgetOverlap } from './dok/budget-overlap';
import { budgetPresent } from './dok/budget-present';
import { budgetQuorum } from './dok/budget-quorum';
import { peerTraffic } from './dok/peer-traffic';
import { serviceSelectsPods } from './dok/service-selects-pods';
import { spreadSchedulable } from './dok/spread-schedulable';
import { zoneQuorum } from './dok/zone-quorum';

/** Rules across objects: disruption budgets against replicas and quorum, zones, scheduling, Services and peer traffic. */
export const DOK_DISRUPTION_RULES: IPolicyRule[] = [
  budgetPresent,
  budgetOverlap,
  budgetQuorum,
  zoneQuorum,
  spreadSchedulable,
  serviceSelectsPods,
  peerTraffic,
];
