import { describe, expect, it } from 'vitest';
import { Config } from '../../config/schema.js';
import { resolveBuild } from './build.js';
import { parseImage, sameRepository } from './image.js';

const NOW = new Date('2025-06-02T10:00:00Z');
const SECONDS = NOW.getTime() / 1000;
const binding = { driver: 'command', options: { deploy: ['true'] } };
const config = Config.parse({
  environments: [{ name: 'preview', order: 0 }],
  services: [
    { name: 'web', image: 'registry.test/web', driver: binding },
    { name: 'payments-api', image: 'registry.test:5000/team/payments', driver: binding },
    { name: 'docs', driver: binding },
  ],
});

const good = {
  service: 'web',
  image: 'registry.test/web:3f2a9c1',
  type: 'branch',
  target: 'feature/login',
};

function resolve(fields: Record<string, unknown>) {
  return resolveBuild(fields, config, NOW);
}

describe('resolving a build', () => {
  it('takes the version from the image tag and the ref from type and target', () => {
    expect(
      resolve({ ...good, commit: '3F2A9C1E', url: 'https://ci.test/runs/7', timestamp: SECONDS }),
    ).toEqual({
      service: 'web',
      version: '3f2a9c1',
      ref: { type: 'branch', name: 'feature/login' },
      commit: '3f2a9c1e',
      committedAt: null,
      url: 'https://ci.test/runs/7',
    });
  });

  it('reads the commit time as unix seconds or ISO 8601, and refuses anything else', () => {
    const committed = new Date('2025-06-02T08:30:00Z');
    expect(resolve({ ...good, committedAt: committed.getTime() / 1000 })).toMatchObject({
      committedAt: committed,
    });
    expect(resolve({ ...good, committedAt: '2025-06-02T10:30:00+02:00' })).toMatchObject({
      committedAt: committed,
    });
    // Form fields arrive as text.
    expect(resolve({ ...good, committedAt: String(committed.getTime() / 1000) })).toMatchObject({
      committedAt: committed,
    });
    expect(resolve({ ...good, committedAt: 'yesterday' })).toEqual({
      refused: true,
      status: 400,
      error: 'invalid_commit_time',
      message:
        'committedAt "yesterday" is neither unix seconds nor an ISO 8601 time: send the commit\'s time, $(git log -1 --format=%ct).',
    });
  });

  it('accepts project for service, and a version field instead of a tag', () => {
    const { service: _service, image: _image, ...rest } = good;
    expect(resolve({ ...rest, project: 'web', version: '1.4.2' })).toMatchObject({
      service: 'web',
      version: '1.4.2',
    });
    expect(resolve({ ...good, image: 'registry.test/web', version: '1.4.2' })).toMatchObject({
      version: '1.4.2',
    });
    expect(resolve({ ...good, version: '3f2a9c1' })).toMatchObject({ version: '3f2a9c1' });
  });

  it('reads registry ports and Docker Hub spellings of the configured repository', () => {
    expect(
      resolve({ ...good, service: 'payments-api', image: 'registry.test:5000/team/payments:v9' }),
    ).toMatchObject({ service: 'payments-api', version: 'v9' });
    // A service without an image accepts whatever CI built.
    expect(resolve({ ...good, service: 'docs', image: 'nginx:1.27' })).toMatchObject({
      version: '1.27',
    });
  });

  it('lists every missing field at once', () => {
    expect(resolve({})).toEqual({
      refused: true,
      status: 400,
      error: 'invalid_build',
      message:
        'type is missing: say "branch" or "tag"; target is missing: the branch or tag name the build came from; ' +
        'service is missing: the service name from slipway.yaml; image is missing: the image the build pushed, e.g. registry.example.com/web:3f2a9c1.',
    });
  });

  it('refuses a type other than branch or tag', () => {
    expect(resolve({ ...good, type: 'pr' })).toMatchObject({
      status: 400,
      message: 'type is "pr": say "branch" or "tag".',
    });
  });

  it('refuses service and project that disagree, and fields of the wrong kind', () => {
    expect(resolve({ ...good, project: 'api' })).toMatchObject({
      status: 400,
      message: 'service "web" and project "api" disagree: send one of them.',
    });
    expect(resolve({ ...good, commit: 'main' })).toMatchObject({
      status: 400,
      message: 'commit must be a git commit hash (7 to 64 hex digits).',
    });
    expect(resolve({ ...good, url: 'javascript:alert(1)' })).toMatchObject({
      status: 400,
      message: 'url must be an http(s) link to the CI run.',
    });
  });

  it('answers an unknown service with 404 and the nearest name', () => {
    expect(resolve({ ...good, service: 'wbe' })).toEqual({
      refused: true,
      status: 404,
      error: 'unknown_service',
      message: 'There is no service called "wbe". Known services: web, payments-api, docs.',
      suggestion: 'Did you mean web?',
    });
    const far = resolve({ ...good, service: 'zzzzzz' });
    expect(far).toMatchObject({ status: 404, error: 'unknown_service' });
    expect(far).not.toHaveProperty('suggestion');
  });

  it("refuses an image that is not the service's", () => {
    expect(resolve({ ...good, image: 'registry.test/api:3f2a9c1' })).toMatchObject({
      status: 400,
      error: 'image_mismatch',
      message: expect.stringContaining('web deploys registry.test/web'),
    });
  });

  it('refuses images without a usable tag, and a version that disagrees with the tag', () => {
    expect(resolve({ ...good, image: 'registry.test/web' })).toMatchObject({
      status: 400,
      error: 'invalid_image',
      message: expect.stringContaining('has no tag'),
    });
    expect(resolve({ ...good, image: 'registry.test/web@sha256:abcd' })).toMatchObject({
      error: 'invalid_image',
      message: expect.stringContaining('digest'),
    });
    expect(resolve({ ...good, version: '1.0.0' })).toMatchObject({
      status: 400,
      error: 'version_mismatch',
    });
  });

  it('refuses a version that could be read as an option or shell syntax', () => {
    expect(resolve({ ...good, image: 'registry.test/web:-rf' })).toMatchObject({
      status: 400,
      error: 'invalid_version',
      message: 'Version "-rf" starts with "-", which a command would read as an option.',
    });
    const { image: _image, ...rest } = good;
    expect(resolve({ ...rest, version: '1.0;reboot' })).toMatchObject({
      error: 'invalid_version',
      message: expect.stringContaining('";"'),
    });
  });

  it('refuses a branch or tag name that is not a safe ref', () => {
    expect(resolve({ ...good, target: 'feature/../../etc' })).toMatchObject({
      status: 400,
      error: 'invalid_ref',
      message: 'Branch "feature/../../etc" contains "..", which is not allowed.',
    });
    expect(resolve({ ...good, type: 'tag', target: 'v1 $(id)' })).toMatchObject({
      error: 'invalid_ref',
      message: expect.stringMatching(/^Tag "v1 \$\(id\)" contains "\$"/),
    });
  });

  it('accepts a timestamp within five minutes either way, as seconds or ISO 8601', () => {
    for (const timestamp of [
      SECONDS - 299,
      SECONDS + 299,
      String(SECONDS),
      '2025-06-02T10:04:00Z',
    ]) {
      expect(resolve({ ...good, timestamp })).toMatchObject({ service: 'web' });
    }
  });

  it('refuses a stale or future timestamp with 401 stale', () => {
    expect(resolve({ ...good, timestamp: SECONDS - 301 })).toMatchObject({
      status: 401,
      error: 'stale',
      message: expect.stringContaining('5 minutes old'),
    });
    expect(resolve({ ...good, timestamp: '2025-06-02T10:06:00+00:00' })).toMatchObject({
      error: 'stale',
      message: expect.stringContaining('6 minutes in the future'),
    });
    expect(resolve({ ...good, timestamp: NOW.getTime() })).toMatchObject({
      error: 'stale',
      message: expect.stringContaining('It looks like milliseconds: send seconds.'),
    });
  });

  it('refuses a timestamp it cannot read', () => {
    for (const timestamp of ['yesterday', 'June 2, 2025', '2025-06-02', -5, 1e20, '1e3']) {
      expect(resolve({ ...good, timestamp })).toMatchObject({
        status: 400,
        error: 'invalid_timestamp',
      });
    }
    expect(resolve({ ...good, timestamp: true })).toMatchObject({ error: 'invalid_build' });
  });
});

describe('image references', () => {
  it.each([
    ['registry.test/web:1.0', { repository: 'registry.test/web', tag: '1.0' }],
    ['localhost:5000/web', { repository: 'localhost:5000/web', tag: null }],
    ['localhost:5000/web:abc', { repository: 'localhost:5000/web', tag: 'abc' }],
    ['nginx', { repository: 'nginx', tag: null }],
  ])('%s', (image, expected) => {
    expect(parseImage(image)).toEqual(expected);
  });

  it('says why it cannot read an image', () => {
    expect(parseImage('web:')).toMatch(/no tag after it/);
    expect(parseImage(':1.0')).toMatch(/no repository/);
    expect(parseImage('web :1')).toMatch(/space/);
  });

  it('compares repositories as Docker Hub spells them', () => {
    expect(sameRepository('nginx', 'docker.io/library/nginx')).toBe(true);
    expect(sameRepository('index.docker.io/library/nginx', 'library/nginx')).toBe(true);
    expect(sameRepository('acme/web', 'docker.io/acme/web')).toBe(true);
    expect(sameRepository('registry.test/web', 'registry.test/api')).toBe(false);
    expect(sameRepository('registry.test/web', 'other.test/web')).toBe(false);
    expect(sameRepository('localhost/web', 'web')).toBe(false);
  });
});
