/** kubectl, bash, curl and CA certificates: every container of the library that talks to the Kubernetes API. */
export const TOOLS_IMAGE = 'docker.io/alpine/k8s:1.31.2';

/** An image tag as registries accept it (at most 128 characters), ending in a letter or digit so it can be a label value. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
/** One path component of a repository (lower case, separated by '.', '_', '__' or dashes). */
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const REGISTRY_HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?$/;

/** The parts of an image reference: the image itself, with the tag and digest it was given. */
export interface ImageReference {
  readonly registry: string;
  readonly repository: string;
  readonly tag: string;
  /** `sha256:<hex>`, which pins the image beyond what a tag can. */
  readonly digest?: string;
}

/** An image reference from its parts (`repo:tag` or `repo:tag@sha256:...`), with the registry replaced for air-gapped clusters. */
export function imageFor(ref: ImageReference, registry?: string): string {
  return `${registry ?? ref.registry}/${ref.repository}:${ref.tag}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** Replaces the registry host of a full image reference. */
export function rewriteRegistry(image: string, registry?: string): string {
  if (!registry) return image;
  return `${registry}/${image.slice(image.indexOf('/') + 1)}`;
}

/** Splits an engine version `<tag>` or `<tag>@sha256:<hex>`; the parts are checked by `isImageTag`/`isImageDigest`. */
export function splitVersion(version: string): { tag: string; digest?: string } {
  const at = version.indexOf('@');
  return at < 0 ? { tag: version } : { tag: version.slice(0, at), digest: version.slice(at + 1) };
}

/** A tag registries accept whose last character is a letter or digit (it also becomes a label value). */
export function isImageTag(tag: string): boolean {
  return TAG.test(tag) && /[A-Za-z0-9]$/.test(tag);
}

export function isImageDigest(digest: string): boolean {
  return DIGEST.test(digest);
}

/** A tag that names one release rather than a moving line: it starts with a version number (`16.6`, `v0.15.0`). */
export function isVersionedTag(tag: string): boolean {
  return isImageTag(tag) && /^v?[0-9]/.test(tag);
}

/**
 * Whether `name` is an image name without tag or digest: an optional registry host (with a dot, a port or
 * `localhost`), then lower-case path components, as container runtimes parse it.
 */
export function isImageName(name: string): boolean {
  const parts = name.split('/');
  const first = parts[0];
  const hasRegistry = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry && !REGISTRY_HOST.test(first)) return false;
  const path = hasRegistry ? parts.slice(1) : parts;
  return name.length <= 255 && path.length > 0 && path.every((p) => PATH_COMPONENT.test(p));
}

/** Splits a full image reference `name[:tag][@digest]`; a colon before the last '/' is a registry port. */
export function parseImage(image: string): { name: string; tag?: string; digest?: string } {
  const at = image.indexOf('@');
  const digest = at < 0 ? undefined : image.slice(at + 1);
  const rest = at < 0 ? image : image.slice(0, at);
  const colon = rest.lastIndexOf(':');
  const tagged = colon > rest.lastIndexOf('/');
  return { name: tagged ? rest.slice(0, colon) : rest, tag: tagged ? rest.slice(colon + 1) : undefined, digest };
}

/** A full image reference pinned to one release: a versioned tag, a digest, or both. */
export function isPinnedImage(image: string): boolean {
  const { name, tag, digest } = parseImage(image);
  if (!isImageName(name)) return false;
  if (tag !== undefined && !isImageTag(tag)) return false;
  if (digest !== undefined) return isImageDigest(digest);
  return tag !== undefined && isVersionedTag(tag);
}
