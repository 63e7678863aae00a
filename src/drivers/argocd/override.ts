import { ValidationError } from '../../core/errors.js';
import type { ArgoCdOptions, Source } from './schema.js';

/**
 * How a version reaches the application: as the tag of an image in the source's kustomize images
 * (`registry/web:1.2.3`, argo-cd docs: user-guide/kustomize), or as a Helm parameter
 * (`image.tag=1.2.3`, user-guide/helm). Either way it is an override in the Application's spec,
 * what `argocd app set --kustomize-image` / `--helm-set` write.
 */
export type Override =
  | { kind: 'kustomize'; image: string }
  | { kind: 'helm'; parameter: string; forceString: boolean };

export function overrideOf(options: ArgoCdOptions, serviceImage: string | null): Override {
  if (options.helm) return { kind: 'helm', ...options.helm };
  const image = options.kustomize?.image ?? serviceImage;
  if (!image) {
    throw new ValidationError(
      'The argocd driver sets the tag of an image: give the service an "image" (its repository, e.g. registry.example.com/web) or "kustomize: { image: … }" in the argocd options.',
    );
  }
  return { kind: 'kustomize', image };
}

/** `name[=newName][:tag][@digest]`, as kustomize images are written. */
export interface KustomizeImage {
  name: string;
  newName: string | null;
  tag: string | null;
  digest: string | null;
}

export function parseKustomizeImage(text: string): KustomizeImage {
  const eq = text.indexOf('=');
  if (eq >= 0) {
    const target = splitReference(text.slice(eq + 1));
    return { name: text.slice(0, eq), newName: target.name || null, ...target.rest };
  }
  const { name, rest } = splitReference(text);
  return { name, newName: null, ...rest };
}

function splitReference(text: string) {
  const at = text.indexOf('@');
  const digest = at >= 0 ? text.slice(at + 1) : null;
  const withTag = at >= 0 ? text.slice(0, at) : text;
  // A colon after the last slash starts the tag; one before it is a registry's port.
  const colon = withTag.lastIndexOf(':');
  const hasTag = colon > withTag.lastIndexOf('/');
  return {
    name: hasTag ? withTag.slice(0, colon) : withTag,
    rest: { tag: hasTag ? withTag.slice(colon + 1) : null, digest },
  };
}

function formatKustomizeImage(image: KustomizeImage): string {
  const target = `${image.newName ?? ''}${image.tag ? `:${image.tag}` : ''}${image.digest ? `@${image.digest}` : ''}`;
  return image.newName ? `${image.name}=${target}` : `${image.name}${target}`;
}

/** The version a source installs through the override; null when it sets none. */
export function versionIn(source: Source | null | undefined, override: Override): string | null {
  if (!source) return null;
  if (override.kind === 'helm') {
    const found = source.helm?.parameters?.find((p) => p.name === override.parameter);
    return found?.value ?? null;
  }
  for (const text of source.kustomize?.images ?? []) {
    const image = parseKustomizeImage(text);
    if (image.name === override.image) return image.tag;
  }
  return null;
}

/**
 * The JSON merge patch (RFC 7386) that makes `source` install `version`, or null when it already
 * does. A merge patch replaces lists whole, so the list is rebuilt from what the source has: other
 * images and parameters stay as they are.
 */
export function overridePatch(
  source: Source,
  override: Override,
  version: string,
): Record<string, unknown> | null {
  if (versionIn(source, override) === version) return null;
  if (override.kind === 'helm') {
    const parameters = [...(source.helm?.parameters ?? [])];
    const index = parameters.findIndex((p) => p.name === override.parameter);
    const entry = { name: override.parameter, value: version, forceString: override.forceString };
    if (index >= 0) parameters[index] = { ...parameters[index], ...entry };
    else parameters.push(entry);
    return { spec: { source: { helm: { parameters } } } };
  }
  const images = [...(source.kustomize?.images ?? [])];
  const index = images.findIndex((text) => parseKustomizeImage(text).name === override.image);
  const current = index >= 0 ? parseKustomizeImage(images[index] as string) : null;
  // A digest pins the image whatever the tag says: the new tag replaces it.
  const next = formatKustomizeImage({
    name: override.image,
    newName: current?.newName ?? null,
    tag: version,
    digest: null,
  });
  if (index >= 0) images[index] = next;
  else images.push(next);
  return { spec: { source: { kustomize: { images } } } };
}

/**
 * The tag `repository` runs with among live images (`status.summary.images`); null when it is
 * not there, or when several tags are (a rollout in progress).
 */
export function versionInImages(
  images: readonly string[] | null | undefined,
  repository: string | null,
): string | null {
  if (!repository) return null;
  const tags = new Set<string>();
  for (const text of images ?? []) {
    const { name, rest } = splitReference(text);
    if (name === repository && rest.tag) tags.add(rest.tag);
  }
  return tags.size === 1 ? ([...tags][0] ?? null) : null;
}

/** A stable text for a source, to recognise the same source in history and operations. */
export function fingerprint(source: Source | null | undefined): string | null {
  return source ? stableJson(source) : null;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The repository live images carry: the kustomize image (or its newName), else the service's. */
export function liveRepository(
  source: Source | null | undefined,
  override: Override,
  serviceImage: string | null,
): string | null {
  if (override.kind === 'helm') return serviceImage;
  for (const text of source?.kustomize?.images ?? []) {
    const image = parseKustomizeImage(text);
    if (image.name === override.image) return image.newName ?? image.name;
  }
  return override.image;
}
