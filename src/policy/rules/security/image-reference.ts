/**
 * An image reference split as the container runtime reads it (distribution/reference): `[registry[:port]/]path[:tag][@digest]`.
 * A `:` after the last `/` starts the tag, so `registry:5000/web` has no tag and `registry:5000/web:2.0.1` has one.
 */
export interface ImageReference {
  readonly tag?: string;
  readonly digest?: string;
}

export function parseImage(image: string): ImageReference {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const name = at >= 0 ? image.slice(0, at) : image;
  const colon = name.lastIndexOf(':');
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : undefined;
  return { tag: tag || undefined, digest: digest || undefined };
}
