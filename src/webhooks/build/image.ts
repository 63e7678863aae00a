/**
 * Image references as CI reports them: `registry.example.com:5000/team/web:3f2a9c1`. The tag is
 * what Slipway deploys; the repository must be the service's (`image` in slipway.yaml).
 * Grammar: distribution/reference (github.com/distribution/reference/blob/main/reference.go).
 */
export interface ImageRef {
  repository: string;
  tag: string | null;
}

/** The repository and tag of `image`, or a sentence saying why it cannot be read. */
export function parseImage(image: string): ImageRef | string {
  if (/\s/.test(image)) return `image "${image}" contains a space.`;
  if (image.includes('@')) {
    return `image "${image}" names a digest; Slipway deploys tags: send repository:tag (e.g. registry.example.com/web:3f2a9c1).`;
  }
  // A colon before the last slash belongs to a registry port, not to a tag.
  const colon = image.lastIndexOf(':');
  const hasTag = colon > image.lastIndexOf('/');
  const repository = hasTag ? image.slice(0, colon) : image;
  const tag = hasTag ? image.slice(colon + 1) : null;
  if (repository === '' || repository.endsWith('/')) {
    return `image "${image}" has no repository: send repository:tag.`;
  }
  if (tag === '') return `image "${image}" ends with ":" but has no tag after it.`;
  return { repository, tag };
}

/**
 * Whether two repositories are the same image, spelled as Docker Hub allows: `nginx`,
 * `library/nginx`, `docker.io/library/nginx` and `index.docker.io/library/nginx` are one.
 */
export function sameRepository(a: string, b: string): boolean {
  return canonical(a) === canonical(b);
}

function canonical(repository: string): string {
  let name = repository.toLowerCase().replace(/^(index\.)?docker\.io\//, '');
  // A first part with a dot, a colon or "localhost" is a registry host; otherwise it's Docker Hub.
  const first = name.split('/')[0] ?? '';
  const hosted = name.includes('/') && (/[.:]/.test(first) || first === 'localhost');
  if (!hosted && !name.includes('/')) name = `library/${name}`;
  return hosted ? name : `docker.io/${name}`;
}
