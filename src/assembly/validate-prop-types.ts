import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { Restore } from '../backup/restore';
import type { ReplicatedDatabaseProps } from '../constructs/replicated-database-props';
import { UpdateStrategy } from '../pod/update-strategy';
import { check } from '../private/errors';
import { checkInstance, checkStringList, checkStringMap, checkStruct, checkStructList, describeValue } from '../private/value-types';
import { ApplicationUser } from '../security/application-user';
import { Credentials } from '../security/credentials';
import { Spread } from '../topology/spread';

/**
 * The type of every prop whose wrong type would otherwise crash or be misread further on (JavaScript callers, casts):
 * sizes and durations are checked where they are read (private/numbers.ts). A ReplicatedDatabase runs this before its
 * layout checks.
 */
export function checkPropTypes(scope: IConstruct, props: ReplicatedDatabaseProps): void {
  const instances = [
    ['cpu', props.cpu, kplus.Cpu, 'cdk8s-plus `Cpu`', '`Cpu.millis(500)`'],
    ['credentials', props.credentials, Credentials, '`Credentials`',
      '`Credentials.fromSecret(secret)` for a cdk8s-plus Secret, `Credentials.fromSecretName(\'orders-credentials\')` or `Credentials.generate()`'],
    ['applicationUser', props.applicationUser, ApplicationUser, '`ApplicationUser`', '`ApplicationUser.fromSecretName(\'orders-app\')` or `ApplicationUser.generate()`'],
    ['restoreFrom', props.restoreFrom, Restore, '`Restore`', '`Restore.fromVolumeSnapshot(\'orders-snap\')` or `Restore.fromDump({ ... })`'],
    ['updateStrategy', props.updateStrategy, UpdateStrategy, '`UpdateStrategy`', '`UpdateStrategy.rollingUpdate({ partition: 1 })`'],
    ['zoneSpread', props.zoneSpread, Spread, '`Spread`', '`Spread.required()`'],
    ['hostSpread', props.hostSpread, Spread, '`Spread`', '`Spread.preferred()`'],
  ] as const;
  for (const [prop, value, type, typeName, example] of instances) {
    if (value !== undefined) checkInstance(scope, prop, value, type, typeName, example);
  }
  if (props.tls !== undefined) checkStruct(scope, 'tls', props.tls, "{ issuerName: 'ca-issuer' }");
  if (props.dedicatedNodes !== undefined) {
    checkStruct(scope, 'dedicatedNodes', props.dedicatedNodes, "{ labelKey: 'pool', labelValue: 'db' }");
    for (const field of ['labelKey', 'labelValue'] as const) {
      check(typeof props.dedicatedNodes[field] === 'string', scope,
        `\`dedicatedNodes\` ${field} must be a string, not ${describeValue(props.dedicatedNodes[field])}: e.g. \`{ labelKey: 'pool', labelValue: 'db' }\`.`);
    }
  }
  if (props.tolerations !== undefined) checkStructList(scope, 'tolerations', props.tolerations, "[{ key: 'dedicated', value: 'db' }]");
  if (props.requiredNodeAffinity !== undefined) {
    checkStructList(scope, 'requiredNodeAffinity', props.requiredNodeAffinity, "[{ key: 'disktype', matchOperator: NodeSelectorOperator.IN, values: ['ssd'] }]");
    for (const [index, requirement] of props.requiredNodeAffinity.entries()) {
      if (requirement.values !== undefined) checkStringList(scope, `requiredNodeAffinity[${index}].values`, requirement.values, "['ssd']");
    }
  }
  if (props.racks !== undefined) checkStructList(scope, 'racks', props.racks, "[{ name: 'rack1', zone: 'eu-west-1a' }]");
  const maps = [
    ['initScripts', props.initScripts, "{ '01-schema.sql': 'CREATE TABLE ...' }"],
    ['config', props.config, "{ max_connections: '200' }"],
    ['env', props.env, "{ TZ: 'UTC' }"],
    ['labels', props.labels, "{ team: 'orders' }"],
    ['annotations', props.annotations, "{ 'example.com/owner': 'orders' }"],
    ['nodeSelector', props.nodeSelector, "{ 'disktype': 'ssd' }"],
  ] as const;
  for (const [prop, value, example] of maps) if (value !== undefined) checkStringMap(scope, prop, value, example);
  if (props.imagePullSecrets !== undefined) checkStringList(scope, 'imagePullSecrets', props.imagePullSecrets, "['regcred']");
  if (props.zones !== undefined) checkStringList(scope, 'zones', props.zones, "['eu-west-1a', 'eu-west-1b', 'eu-west-1c']");
  check(props.replicas === undefined || typeof props.replicas === 'number', scope,
    `\`replicas\` must be a number, not ${describeValue(props.replicas)}: give a whole number of at least 2.`);
  if (props.memberPriorities !== undefined) {
    check(Array.isArray(props.memberPriorities), scope, `\`memberPriorities\` must be a list of numbers such as \`[2, 1, 1]\`, not ${describeValue(props.memberPriorities)}.`);
  }
}
