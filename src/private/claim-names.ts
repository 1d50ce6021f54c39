/** The name the StatefulSet controller gives a member's claim: `<claim template>-<StatefulSet>-<ordinal>`. */
export function memberClaimName(claimTemplateName: string, statefulSetName: string, ordinal: number): string {
  return `${claimTemplateName}-${statefulSetName}-${ordinal}`;
}

/** A StatefulSet's name and replica count, as the tolerance views hold them. */
interface StatefulSetReplicas {
  readonly metadata: { readonly name: string };
  readonly spec: { readonly replicas: number };
}

/** Every member's data claim (the claim template `data`), StatefulSet by StatefulSet, in ordinal order. */
export function dataClaims(statefulSets: ReadonlyArray<StatefulSetReplicas>): string[] {
  return statefulSets.flatMap((s) => Array.from({ length: s.spec.replicas }, (_, i) => memberClaimName('data', s.metadata.name, i)));
}

/** The member claims of one claim template, for messages: `<claim template>-<StatefulSet>-<i>`. */
export function memberClaimPattern(claimTemplateName: string, statefulSetName: string): string {
  return `${claimTemplateName}-${statefulSetName}-<i>`;
}

/** One way to read a claim name as `<claim template>-<StatefulSet>-<ordinal>`. */
export interface MemberClaimParts {
  readonly claimTemplateName: string;
  readonly statefulSetName: string;
  readonly ordinal: number;
}

/**
 * Every way `claimName` splits into a member claim name: both names may hold dashes, so the split is ambiguous and the
 * caller keeps the reading whose StatefulSet exists with that claim template. Empty when there is no ordinal.
 */
export function parseMemberClaimName(claimName: string): MemberClaimParts[] {
  const match = /^(.+)-(0|[1-9]\d*)$/.exec(claimName);
  if (!match) return [];
  const [, prefix, ordinal] = match;
  const out: MemberClaimParts[] = [];
  for (let dash = prefix.indexOf('-'); dash > 0; dash = prefix.indexOf('-', dash + 1)) {
    if (dash === prefix.length - 1) continue;
    out.push({ claimTemplateName: prefix.slice(0, dash), statefulSetName: prefix.slice(dash + 1), ordinal: Number(ordinal) });
  }
  return out;
}
