import { IPolicyRule } from '../rule';
import { guaranteedQos } from './dok/guaranteed-qos';

export const DOK_WORKLOAD_RULES: IPolicyRule[] = [
  guaranteedQos,
];
