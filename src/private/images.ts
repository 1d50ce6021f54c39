/** kubectl, bash, curl and CA certificates: every container of the library that talks to the Kubernetes API. */
export const TOOLS_IMAGE = 'docker.io/alpine/k8s:1.31.2';

/** An image reference from its parts, with the registry replaced for air-gapped clusters. */
export function imageFor(ref: { registry: string; repository: string; tag: string }, registry?: string): string {
  return `${registry ?? ref.registry}/${ref.repository}:${ref.tag}`;
}

/** Replaces the registry host of a full image reference. */
export function rewriteRegistry(image: string, registry?: string): string {
  if (!registry) return image;
  return `${registry}/${image.slice(image.indexOf('/') + 1)}`;
}
