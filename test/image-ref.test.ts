/**
 * Image reference parsing against the distribution/reference grammar and Docker's normalization
 * (ParseNormalizedNamed). Every expected value below was worked out by hand from that grammar:
 *   reference := name [":" tag] ["@" digest]; name := [domain "/"] path-component ["/" path-component]*
 *   path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [._] | "__" | "-"+
 *   tag := [\w][\w.-]{0,127}; digest := algorithm ":" hex (sha256: 64 lower-case hex digits)
 * and the first component is a registry iff it is "localhost", contains "." or ":", or has an
 * upper-case letter; otherwise the registry is docker.io and a single-component name gets "library/".
 */
import { describe, expect, it } from 'vitest';
import {
  defaultPullPolicy,
  effectiveTag,
  imageName,
  parseImageReference,
  registryHost,
  registryMatcher,
  registryPort,
  type ImageReference,
} from '../src/k8s/image.js';

const D64 = '7418ebf4a5d70c8cc7a70d2b4e2095d7b0375c60a6148424d67189bcb17b2200';

function ok(image: string): ImageReference {
  const parsed = parseImageReference(image);
  if (!parsed.ok) throw new Error(`expected ${image} to parse: ${parsed.error}`);
  return parsed.ref;
}

function error(image: string): string {
  const parsed = parseImageReference(image);
  if (parsed.ok) throw new Error(`expected ${image} not to parse`);
  return parsed.error;
}

describe('parseImageReference: valid references', () => {
  it.each([
    // image, registry, explicit, repository, tag, digest
    ['nginx', 'docker.io', false, 'library/nginx', undefined, undefined],
    ['nginx:1.27', 'docker.io', false, 'library/nginx', '1.27', undefined],
    ['docker.io/nginx', 'docker.io', true, 'library/nginx', undefined, undefined],
    ['index.docker.io/library/nginx:latest', 'docker.io', true, 'library/nginx', 'latest', undefined],
    ['bitnami/redis:7.2', 'docker.io', false, 'bitnami/redis', '7.2', undefined],
    ['docker.io/bitnami/redis', 'docker.io', true, 'bitnami/redis', undefined, undefined],
    ['a/b/c/d:Tag_1.0-x', 'docker.io', false, 'a/b/c/d', 'Tag_1.0-x', undefined],
    ['localhost/app', 'localhost', true, 'app', undefined, undefined],
    ['localhost:5000/team/app:dev', 'localhost:5000', true, 'team/app', 'dev', undefined],
    ['myregistry:5000/app', 'myregistry:5000', true, 'app', undefined, undefined],
    ['example.com/app', 'example.com', true, 'app', undefined, undefined],
    ['gcr.io/google-samples/gb-frontend:v5', 'gcr.io', true, 'google-samples/gb-frontend', 'v5', undefined],
    ['192.168.1.10:5000/app', '192.168.1.10:5000', true, 'app', undefined, undefined],
    ['[::1]:5000/app:1', '[::1]:5000', true, 'app', '1', undefined],
    ['UPPER.example.com/app', 'UPPER.example.com', true, 'app', undefined, undefined],
    // "_" is not allowed in a host name, but the whole name still matches as a path; the runtime dials the first component.
    ['registry_example.com/app', 'registry_example.com', true, 'app', undefined, undefined],
    // An upper-case first component cannot be a Docker Hub namespace, so it is a host.
    ['Foo/bar', 'Foo', true, 'bar', undefined, undefined],
    // Without a slash nothing is a host: ":5000" is a tag, and a dotted name is a Docker Hub repository.
    ['foo:5000', 'docker.io', false, 'library/foo', '5000', undefined],
    ['registry.example.com', 'docker.io', false, 'library/registry.example.com', undefined, undefined],
    ['localhost', 'docker.io', false, 'library/localhost', undefined, undefined],
    // Separators: one '.' or '_', exactly two '_', or any run of '-'.
    ['foo__bar', 'docker.io', false, 'library/foo__bar', undefined, undefined],
    ['foo-bar---baz.qux_1', 'docker.io', false, 'library/foo-bar---baz.qux_1', undefined, undefined],
    [`registry.example.com/shop/api@sha256:${D64}`, 'registry.example.com', true, 'shop/api', undefined, `sha256:${D64}`],
    [`quay.io/argoproj/argocd:v2.9.3@sha256:${D64}`, 'quay.io', true, 'argoproj/argocd', 'v2.9.3', `sha256:${D64}`],
    [`nginx@sha256:${D64}`, 'docker.io', false, 'library/nginx', undefined, `sha256:${D64}`],
    [`nginx@sha512:${'0a'.repeat(64)}`, 'docker.io', false, 'library/nginx', undefined, `sha512:${'0a'.repeat(64)}`],
    [`nginx:${'t'.repeat(128)}`, 'docker.io', false, 'library/nginx', 't'.repeat(128), undefined],
    // docker.io/library/ (18 characters) + 237 = 255, the longest name.
    ['a'.repeat(237), 'docker.io', false, `library/${'a'.repeat(237)}`, undefined, undefined],
  ] as const)('%s', (image, registry, explicit, repository, tag, digest) => {
    const ref = ok(image);
    expect(ref.registry).toBe(registry);
    expect(ref.registryExplicit).toBe(explicit);
    expect(ref.repository).toBe(repository);
    expect(ref.tag).toBe(tag);
    expect(ref.digest).toBe(digest);
  });

  it('names the image fully', () => {
    expect(imageName(ok('nginx'))).toBe('docker.io/library/nginx');
    expect(imageName(ok('localhost:5000/team/app:dev'))).toBe('localhost:5000/team/app');
  });

  it('returns the same cached result for the same string', () => {
    expect(parseImageReference('redis:7')).toBe(parseImageReference('redis:7'));
  });
});

describe('parseImageReference: invalid references', () => {
  it.each([
    ['', /empty/],
    [D64, /image ID/],
    ['NGINX', /"library\/NGINX" must be lower case/],
    ['docker.io/Library/nginx', /must be lower case/],
    ['nginx:', /does not match/],
    ['nginx:-1', /does not match/],
    [`nginx:${'t'.repeat(129)}`, /does not match/],
    ['nginx@sha256:abc', /does not match/],
    [`nginx@sha256:${D64.toUpperCase()}`, /lower-case/],
    [`nginx@sha256:${D64.slice(1)}`, /64 hexadecimal digits, not 63/],
    [`nginx@md5:${'0'.repeat(32)}`, /unsupported digest algorithm "md5"/],
    ['http://registry.example.com/app:1', /does not match/],
    ['https://registry.example.com/app', /does not match/],
    [' nginx', /does not match/],
    ['nginx:1.0 ', /does not match/],
    ['registry.example.com/', /does not match/],
    ['foo___bar', /does not match/],
    ['foo_-bar', /does not match/],
    ['-foo', /does not match/],
    ['foo-', /does not match/],
    ['-registry.example.com/app', /does not match/],
    ['${IMAGE}', /must be lower case/],
    ['${image}', /does not match/],
    ['a'.repeat(238), /longer than 255/],
  ] as const)('%j', (image, message) => {
    expect(error(image)).toMatch(message);
  });
});

describe('tags, defaults and registry parts', () => {
  it('resolves the effective tag', () => {
    expect(effectiveTag(ok('nginx'))).toBe('latest');
    expect(effectiveTag(ok('nginx:1.27'))).toBe('1.27');
    expect(effectiveTag(ok(`nginx@sha256:${D64}`))).toBeUndefined();
    expect(effectiveTag(ok(`nginx:latest@sha256:${D64}`))).toBe('latest');
  });

  it('defaults imagePullPolicy like SetDefaults_Container', () => {
    expect(defaultPullPolicy('nginx')).toBe('Always');
    expect(defaultPullPolicy('nginx:latest')).toBe('Always');
    // The tag is still "latest" when a digest is also given.
    expect(defaultPullPolicy(`nginx:latest@sha256:${D64}`)).toBe('Always');
    expect(defaultPullPolicy('nginx:1.27')).toBe('IfNotPresent');
    expect(defaultPullPolicy(`nginx@sha256:${D64}`)).toBe('IfNotPresent');
    expect(defaultPullPolicy('NGINX')).toBe('IfNotPresent');
  });

  it('splits host and port', () => {
    expect(registryHost('Registry.Example.com:5000')).toBe('registry.example.com');
    expect(registryPort('registry.example.com:5000')).toBe('5000');
    expect(registryHost('registry.example.com')).toBe('registry.example.com');
    expect(registryPort('registry.example.com')).toBeUndefined();
    expect(registryHost('[::1]:5000')).toBe('[::1]');
    expect(registryPort('[::1]:5000')).toBe('5000');
    expect(registryPort('[::1]')).toBeUndefined();
  });
});

describe('registryMatcher', () => {
  const match = (patterns: readonly string[], image: string): string | undefined => registryMatcher(patterns).match(ok(image));

  it('matches a host whole, never as a string prefix', () => {
    const allowed = ['registry.example.com'];
    expect(match(allowed, 'registry.example.com/shop/api:1')).toBe('registry.example.com');
    expect(match(allowed, 'REGISTRY.example.com/shop/api:1')).toBe('registry.example.com');
    expect(match(allowed, 'registry.example.com.evil.io/shop/api:1')).toBeUndefined();
    expect(match(allowed, 'evil.io/registry.example.com/api:1')).toBeUndefined();
    expect(match(allowed, 'registry.example.com:5000/shop/api:1')).toBeUndefined();
    expect(match(allowed, 'sub.registry.example.com/shop/api:1')).toBeUndefined();
  });

  it('matches path prefixes by whole components', () => {
    const allowed = ['registry.example.com/team'];
    expect(match(allowed, 'registry.example.com/team/app:1')).toBe('registry.example.com/team');
    expect(match(allowed, 'registry.example.com/team:1')).toBe('registry.example.com/team');
    expect(match(allowed, 'registry.example.com/team-x/app:1')).toBeUndefined();
    expect(match(allowed, 'registry.example.com/teams/app:1')).toBeUndefined();
    expect(match(allowed, 'registry.example.com/other/app:1')).toBeUndefined();
  });

  it('normalizes Docker Hub patterns as references are normalized', () => {
    expect(match(['docker.io/library'], 'nginx')).toBe('docker.io/library');
    expect(match(['library'], 'nginx:1.27')).toBe('library');
    expect(match(['index.docker.io'], 'bitnami/redis')).toBe('index.docker.io');
    expect(match(['docker.io/library'], 'bitnami/redis')).toBeUndefined();
    expect(match(['bitnami'], 'docker.io/bitnami/redis:7')).toBe('bitnami');
  });

  it('lets * stand for part of one host label', () => {
    const allowed = ['*.dkr.ecr.us-east-1.amazonaws.com'];
    expect(match(allowed, '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1')).toBe(allowed[0]);
    expect(match(allowed, 'a.b.dkr.ecr.us-east-1.amazonaws.com/app:1')).toBeUndefined();
    expect(match(allowed, 'dkr.ecr.us-east-1.amazonaws.com/app:1')).toBeUndefined();
    expect(match(allowed, 'x.dkr.ecr.us-east-1.amazonaws.com.evil.io/app:1')).toBeUndefined();
    expect(match(['123456789012.dkr.ecr.*.amazonaws.com'], '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1')).toBeDefined();
  });

  it('ignores a scheme, trailing slashes and empty patterns; keeps ports', () => {
    expect(match(['https://registry.example.com/'], 'registry.example.com/app:1')).toBe('https://registry.example.com/');
    expect(match([''], 'nginx')).toBeUndefined();
    expect(match(['localhost:5000'], 'localhost:5000/app')).toBe('localhost:5000');
    expect(match(['localhost:5000'], 'localhost/app')).toBeUndefined();
    expect(match(['[::1]:5000'], '[::1]:5000/app')).toBe('[::1]:5000');
  });
});
