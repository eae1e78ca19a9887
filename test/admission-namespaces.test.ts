import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApisApi, AppsV1Api, CoreV1Api, KubeConfig, Watch, makeInformer, type V1Namespace, type V1Pod } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NamespaceLabelCache, StaticNamespaceLabels, loadKubeConfig, parseRetryAfter, type NamespaceCacheLog } from '../src/admission/namespaces.js';
import { MamoriError } from '../src/errors.js';
import { FakeApiServer, type KubeObject, type RecordedRequest } from './helpers/fake-apiserver.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NS_PATH = '/api/v1/namespaces';

function ns(name: string, labels: Record<string, string> = {}): KubeObject {
  return { metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

/** Polls until `check` returns true; fails after `timeoutMs`. */
async function eventually(check: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Rejects if `promise` takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface LogEntry {
  level: string;
  message: string;
  fields: Readonly<Record<string, unknown>>;
}

function collector(): { log: NamespaceCacheLog; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return { entries, log: (level, message, fields = {}) => entries.push({ level, message, fields }) };
}

const lists = (fake: FakeApiServer): RecordedRequest[] => fake.requestsMatching({ path: NS_PATH, watch: false });
const watches = (fake: FakeApiServer): RecordedRequest[] => fake.requestsMatching({ path: NS_PATH, watch: true });

describe('StaticNamespaceLabels', () => {
  it('answers from a map or a plain object, synced, with frozen null-prototype copies', () => {
    const source = { 'kubernetes.io/metadata.name': 'shop', 'mamori.io/enforce': 'restricted' };
    const fromMap = new StaticNamespaceLabels(new Map([['shop', source]]));
    const fromRecord = new StaticNamespaceLabels({ shop: source });
    for (const cache of [fromMap, fromRecord]) {
      expect(cache.synced).toBe(true);
      const labels = cache.labels('shop');
      expect(labels).toEqual({ 'kubernetes.io/metadata.name': 'shop', 'mamori.io/enforce': 'restricted' });
      expect(Object.isFrozen(labels)).toBe(true);
      expect(Object.getPrototypeOf(labels)).toBeNull();
      expect(labels?.['constructor']).toBeUndefined();
      expect(cache.labels('other')).toBeUndefined();
    }
    // A label named __proto__ (JSON allows it) is data, not a prototype.
    const odd = new StaticNamespaceLabels({ x: JSON.parse('{"__proto__":"p","a":"b"}') as Record<string, string> }).labels('x');
    expect(Object.getPrototypeOf(odd)).toBeNull();
    expect(Object.keys(odd ?? {})).toEqual(['__proto__', 'a']);
    expect(odd?.['__proto__']).toBe('p');
    // A copy: changing the source later changes nothing.
    source['mamori.io/enforce'] = 'privileged';
    expect(fromMap.labels('shop')?.['mamori.io/enforce']).toBe('restricted');
  });

  it('reads Namespace objects, ignores other kinds and adds the automatic metadata.name label', () => {
    const cache = StaticNamespaceLabels.fromNamespaces([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { 'pod-security.kubernetes.io/enforce': 'baseline', bad: 7 } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bare' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', labels: { x: 'y' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: {} },
      null,
    ]);
    expect(cache.names()).toEqual(['bare', 'team-a']);
    expect(cache.labels('team-a')).toEqual({ 'kubernetes.io/metadata.name': 'team-a', 'pod-security.kubernetes.io/enforce': 'baseline' });
    expect(cache.labels('bare')).toEqual({ 'kubernetes.io/metadata.name': 'bare' });
    expect(cache.labels('cm')).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and nothing else', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(' 0 ')).toBe(0);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter('-1')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('the fake API server', () => {
  let fake: FakeApiServer;
  beforeEach(async () => {
    fake = await FakeApiServer.start();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('speaks to @kubernetes/client-node: discovery, lists with selectors and pages, gets, and refuses a wrong token', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(fake.kubeconfig());
    fake.upsertAll('namespaces', [ns('a'), ns('b', { team: 'x' })]);
    fake.upsert('pods', { metadata: { name: 'p1', namespace: 'a' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    fake.upsert('pods', { metadata: { name: 'p2', namespace: 'b' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
    fake.upsert('deployments', { metadata: { name: 'web', namespace: 'a' }, spec: {} });

    const core = kc.makeApiClient(CoreV1Api);
    const resources = await core.getAPIResources();
    expect(resources.groupVersion).toBe('v1');
    expect(resources.resources.find((r) => r.name === 'namespaces')?.namespaced).toBe(false);
    const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
    expect(groups.groups.map((g) => g.name)).toContain('apps');

    const selected = await core.listNamespace({ labelSelector: 'team=x' });
    expect(selected.items.map((n) => n.metadata?.name)).toEqual(['b']);
    const inA = await core.listNamespacedPod({ namespace: 'a' });
    expect(inA.items.map((p) => p.metadata?.name)).toEqual(['p1']);
    const first = await core.listPodForAllNamespaces({ limit: 1 });
    expect(first.items.map((p) => p.metadata?.name)).toEqual(['p1']);
    expect(first.metadata?.remainingItemCount).toBe(1);
    const second = await core.listPodForAllNamespaces({ limit: 1, _continue: first.metadata?._continue as string });
    expect(second.items.map((p) => p.metadata?.name)).toEqual(['p2']);
    expect(second.metadata?._continue).toBeUndefined();
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    const web = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: 'a', name: 'web' });
    expect(web.kind).toBe('Deployment');
    expect(web.apiVersion).toBe('apps/v1');

    const wrong = new KubeConfig();
    wrong.loadFromString(fake.kubeconfig({ token: 'not-the-token' }));
    await expect(wrong.makeApiClient(CoreV1Api).listNamespace()).rejects.toMatchObject({ code: 401 });
    expect(fake.requests.at(-1)?.authenticated).toBe(false);
  });
});

describe('the fake API server with client-node informers and watches', () => {
  let fake: FakeApiServer;
  beforeEach(async () => {
    fake = await FakeApiServer.start();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('serves a client-node informer: list, then ADDED, MODIFIED and DELETED in one namespace', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(fake.kubeconfig());
    fake.upsert('pods', { metadata: { name: 'before', namespace: 'shop' } });
    fake.upsert('pods', { metadata: { name: 'elsewhere', namespace: 'other' } });
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Pod>(kc, '/api/v1/namespaces/shop/pods', () => core.listNamespacedPod({ namespace: 'shop' }));
    const seen: string[] = [];
    informer.on('add', (pod) => seen.push(`add ${pod.metadata?.name}`));
    informer.on('update', (pod) => seen.push(`update ${pod.metadata?.name} ${pod.metadata?.labels?.['v'] ?? ''}`));
    informer.on('delete', (pod) => seen.push(`delete ${pod.metadata?.name}`));
    await informer.start();
    try {
      await fake.waitForRequests({ path: '/api/v1/namespaces/shop/pods', watch: true });
      fake.upsert('pods', { metadata: { name: 'new', namespace: 'shop' } });
      fake.upsert('pods', { metadata: { name: 'ignored', namespace: 'other' } });
      fake.upsert('pods', { metadata: { name: 'new', namespace: 'shop', labels: { v: '2' } } });
      fake.remove('pods', 'before', 'shop');
      await eventually(() => seen.length >= 4, 'four informer events');
      expect(seen).toEqual(['add before', 'add new', 'update new 2', 'delete before']);
      expect(informer.list().map((p) => p.metadata?.name)).toEqual(['new']);
    } finally {
      await informer.stop();
    }
  });

  it('streams the current state for resourceVersion 0, ends a watch after timeoutSeconds, answers 404s', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(fake.kubeconfig());
    fake.upsertAll('namespaces', [ns('a'), ns('b')]);
    const events: string[] = [];
    const began = Date.now();
    const ended = new Promise<unknown>((resolve) => {
      void new Watch(kc).watch('/api/v1/namespaces', { resourceVersion: '0', timeoutSeconds: 1 }, (type, object: V1Namespace) => events.push(`${type} ${object.metadata?.name}`), resolve);
    });
    await expect(ended).resolves.toBeNull();
    expect(Date.now() - began).toBeGreaterThanOrEqual(950);
    expect(events).toEqual(['ADDED a', 'ADDED b']);
    const core = kc.makeApiClient(CoreV1Api);
    await expect(core.readNamespace({ name: 'missing' })).rejects.toMatchObject({ code: 404 });
    await expect(core.readNamespace({ name: 'a' })).resolves.toMatchObject({ metadata: { name: 'a' } });
  });
});

describe('NamespaceLabelCache', () => {
  let fake: FakeApiServer;
  let cache: NamespaceLabelCache | undefined;
  let kc: KubeConfig;
  const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'];

  beforeEach(async () => {
    fake = await FakeApiServer.start();
    fake.upsertAll('namespaces', names.map((n, i) => ns(n, i % 2 === 0 ? { 'mamori.io/enforce': 'restricted' } : {})));
    kc = new KubeConfig();
    kc.loadFromString(fake.kubeconfig());
  });
  afterEach(async () => {
    await within(cache?.stop() ?? Promise.resolve(), 5000, 'stop()');
    cache = undefined;
    await fake.close();
  });

  it('lists every page, syncs, then watches from the list resourceVersion', async () => {
    const { log, entries } = collector();
    cache = new NamespaceLabelCache({ kubeConfig: kc, pageSize: 3, log });
    expect(cache.synced).toBe(false);
    expect(cache.labels('alpha')).toBeUndefined();
    const listRv = String(fake.resourceVersion);
    await expect(cache.start()).resolves.toBe(true);
    expect(cache.synced).toBe(true);
    expect(cache.size).toBe(7);
    expect(cache.labels('alpha')).toEqual({ 'kubernetes.io/metadata.name': 'alpha', 'mamori.io/enforce': 'restricted' });
    expect(cache.labels('bravo')).toEqual({ 'kubernetes.io/metadata.name': 'bravo' });
    expect(Object.isFrozen(cache.labels('golf'))).toBe(true);

    const pages = lists(fake);
    expect(pages).toHaveLength(3); // 3 + 3 + 1
    expect(pages.map((r) => r.query['limit'])).toEqual(['3', '3', '3']);
    expect(pages[0]?.query['continue']).toBeUndefined();
    expect(pages[1]?.query['continue']).toBeTruthy();
    expect(pages[2]?.query['continue']).toBeTruthy();
    expect(pages[2]?.query['continue']).not.toBe(pages[1]?.query['continue']);

    const [watch] = await fake.waitForRequests({ path: NS_PATH, watch: true });
    expect(watch?.query['resourceVersion']).toBe(listRv);
    expect(watch?.query['allowWatchBookmarks']).toBe('true');
    const timeout = Number(watch?.query['timeoutSeconds']);
    expect(timeout).toBeGreaterThanOrEqual(300);
    expect(timeout).toBeLessThan(600);
    expect(entries.filter((e) => e.message === 'namespaces synced')).toHaveLength(1);
    expect(entries.find((e) => e.message === 'namespaces synced')?.fields).toMatchObject({ namespaces: 7, pages: 3, resourceVersion: listRv });
  });

  it('applies ADDED, MODIFIED and DELETED events and follows BOOKMARKs, without listing again', async () => {
    cache = new NamespaceLabelCache({ kubeConfig: kc, pageSize: 100, log: () => undefined });
    await cache.start();
    await fake.waitForRequests({ path: NS_PATH, watch: true });
    const c = cache;

    fake.upsert('namespaces', ns('hotel', { 'mamori.io/warn': 'baseline' }));
    await eventually(() => c.labels('hotel') !== undefined, 'ADDED hotel');
    expect(c.labels('hotel')).toEqual({ 'kubernetes.io/metadata.name': 'hotel', 'mamori.io/warn': 'baseline' });
    expect(c.size).toBe(8);

    fake.upsert('namespaces', ns('alpha', { 'mamori.io/enforce': 'baseline', 'mamori.io/enforce-version': 'v1.30' }));
    await eventually(() => c.labels('alpha')?.['mamori.io/enforce'] === 'baseline', 'MODIFIED alpha');
    expect(c.labels('alpha')).toEqual({ 'kubernetes.io/metadata.name': 'alpha', 'mamori.io/enforce': 'baseline', 'mamori.io/enforce-version': 'v1.30' });

    fake.remove('namespaces', 'bravo');
    await eventually(() => c.labels('bravo') === undefined, 'DELETED bravo');
    expect(c.size).toBe(7);
    expect(c.resourceVersion).toBe(String(fake.resourceVersion));

    // Other resources move the resourceVersion on; a bookmark carries it to the cache.
    fake.upsert('configmaps', { metadata: { name: 'x', namespace: 'alpha' } });
    fake.upsert('configmaps', { metadata: { name: 'y', namespace: 'alpha' } });
    const latest = String(fake.resourceVersion);
    expect(c.resourceVersion).not.toBe(latest);
    fake.bookmark('namespaces');
    await eventually(() => c.resourceVersion === latest, 'the bookmark resourceVersion');
    expect(lists(fake)).toHaveLength(1);
  });

  it('resumes the watch from the last resourceVersion when the server ends it', async () => {
    cache = new NamespaceLabelCache({ kubeConfig: kc, watchTimeoutSeconds: 1, log: () => undefined });
    await cache.start();
    await fake.waitForRequests({ path: NS_PATH, watch: true });
    fake.upsert('namespaces', ns('india'));
    const c = cache;
    await eventually(() => c.labels('india') !== undefined, 'ADDED india');
    const rv = c.resourceVersion;
    // The fake ends the stream after timeoutSeconds=1; the cache watches again at once.
    const again = await fake.waitForRequests({ path: NS_PATH, watch: true }, 2, 5000);
    expect(again[1]?.query['resourceVersion']).toBe(rv);
    expect(again[1]?.query['timeoutSeconds']).toBe('1');
    const gap = (again[1]?.time ?? 0) - (again[0]?.time ?? 0);
    expect(gap).toBeGreaterThanOrEqual(950);
    expect(gap).toBeLessThan(1900);
    expect(lists(fake)).toHaveLength(1);
  });

  it('lists again after 410 Gone (an ERROR event), dropping namespaces deleted while events were lost', async () => {
    const { log, entries } = collector();
    cache = new NamespaceLabelCache({ kubeConfig: kc, pageSize: 4, log });
    await cache.start();
    await fake.waitForRequests({ path: NS_PATH, watch: true });
    const c = cache;
    const staleRv = c.resourceVersion;
    // The stream loses these events, then the history is compacted away.
    fake.muteWatches(true);
    fake.remove('namespaces', 'charlie');
    fake.upsert('namespaces', ns('juliett', { 'mamori.io/audit': 'restricted' }));
    fake.compact();
    fake.muteWatches(false);
    expect(c.labels('charlie')).toBeDefined();
    fake.closeWatches();

    // The cache rewatches from its stale resourceVersion, gets 410 as an ERROR event, relists.
    const watchRequests = await fake.waitForRequests({ path: NS_PATH, watch: true }, 3);
    expect(watchRequests[1]?.query['resourceVersion']).toBe(staleRv);
    await eventually(() => c.labels('charlie') === undefined && c.labels('juliett') !== undefined, 'the relist');
    expect(c.size).toBe(7);
    expect(lists(fake).filter((r) => r.query['continue'] === undefined)).toHaveLength(2);
    expect(watchRequests[2]?.query['resourceVersion']).toBe(String(fake.resourceVersion));
    expect(c.synced).toBe(true);
    expect(entries.some((e) => e.message.includes('410 Gone'))).toBe(true);
  });

  it('lists again after a plain 410 answer to the watch', async () => {
    await fake.close();
    fake = await FakeApiServer.start({ goneStyle: 'status' });
    fake.upsertAll('namespaces', [ns('one'), ns('two')]);
    kc = new KubeConfig();
    kc.loadFromString(fake.kubeconfig());
    cache = new NamespaceLabelCache({ kubeConfig: kc, log: () => undefined });
    await cache.start();
    await fake.waitForRequests({ path: NS_PATH, watch: true });
    fake.muteWatches(true);
    fake.remove('namespaces', 'one');
    fake.compact();
    fake.muteWatches(false);
    fake.closeWatches();
    const c = cache;
    await eventually(() => c.labels('one') === undefined, 'the relist');
    expect(fake.requestsMatching({ path: NS_PATH, watch: true }).map((r) => r.status)).toEqual(expect.arrayContaining([200, 410]));
    expect(lists(fake)).toHaveLength(2);
  });

  it('starts the list over when a continue token has expired (410 on a later page)', async () => {
    fake.fail({ path: NS_PATH, watch: false, when: (r) => r.query['continue'] !== undefined }, { status: 410, message: 'The provided continue parameter is too old to display a consistent list result.' });
    cache = new NamespaceLabelCache({ kubeConfig: kc, pageSize: 3, log: () => undefined });
    await expect(cache.start()).resolves.toBe(true);
    expect(cache.size).toBe(7);
    const pages = lists(fake);
    expect(pages.map((r) => [r.query['continue'] === undefined ? 'first' : 'next', r.status])).toEqual([
      ['first', 200],
      ['next', 410],
      ['first', 200],
      ['next', 200],
      ['next', 200],
    ]);
  });

  it('logs clearly that RBAC must allow list and watch on 403, stays unsynced, and recovers', async () => {
    fake.fail({ path: NS_PATH, watch: false }, { status: 403, times: 3 });
    const { log, entries } = collector();
    cache = new NamespaceLabelCache({ kubeConfig: kc, backoffInitialMs: 20, backoffMaxMs: 40, log });
    const started = cache.start();
    await fake.waitForRequests({ path: NS_PATH, watch: false }, 2);
    expect(cache.synced).toBe(false);
    expect(cache.labels('alpha')).toBeUndefined();
    await expect(started).resolves.toBe(true);
    expect(cache.labels('alpha')?.['mamori.io/enforce']).toBe('restricted');
    expect(lists(fake).map((r) => r.status)).toEqual([403, 403, 403, 200]);
    const forbidden = entries.filter((e) => e.fields['status'] === 403);
    // Logged once while the same failure repeats.
    expect(forbidden).toHaveLength(1);
    expect(forbidden[0]?.level).toBe('error');
    expect(forbidden[0]?.message).toMatch(/RBAC must allow .* list and watch namespaces/);
    expect(forbidden[0]?.fields['reason']).toMatch(/cannot list resource "namespaces"/);
    expect(forbidden[0]?.fields['synced']).toBe(false);
  });

  it('honours Retry-After on 429 for the list and for the watch', async () => {
    fake.fail({ path: NS_PATH, watch: false }, { status: 429, retryAfterSeconds: 1 });
    fake.fail({ path: NS_PATH, watch: true }, { status: 429, retryAfterSeconds: 1 });
    const { log, entries } = collector();
    // Without Retry-After the retry would come after 10 to 20 ms.
    cache = new NamespaceLabelCache({ kubeConfig: kc, backoffInitialMs: 20, backoffMaxMs: 20, log });
    await cache.start();
    const [refused, listed] = lists(fake);
    expect(refused?.status).toBe(429);
    expect(listed?.status).toBe(200);
    const listGap = (listed?.time ?? 0) - (refused?.time ?? 0);
    expect(listGap).toBeGreaterThanOrEqual(950);
    expect(listGap).toBeLessThan(2500);

    const [watchRefused, watched] = await fake.waitForRequests({ path: NS_PATH, watch: true }, 2);
    expect(watchRefused?.status).toBe(429);
    expect(watched?.status).toBe(200);
    const watchGap = (watched?.time ?? 0) - (watchRefused?.time ?? 0);
    expect(watchGap).toBeGreaterThanOrEqual(950);
    expect(watchGap).toBeLessThan(2500);
    expect(entries.filter((e) => e.fields['status'] === 429).map((e) => e.fields['retryInMs'])).toEqual([1000, 1000]);
  });

  it('backs off with jitter on server errors, doubling up to the maximum', async () => {
    fake.fail({ path: NS_PATH, watch: false }, { status: 500, times: 4 });
    // random() = 0 gives the lowest delay of each step: half of 400, 800, 1600, then the 1600 cap.
    cache = new NamespaceLabelCache({ kubeConfig: kc, backoffInitialMs: 400, backoffMaxMs: 1600, random: () => 0, log: () => undefined });
    await cache.start();
    const times = lists(fake).map((r) => r.time);
    expect(lists(fake).map((r) => r.status)).toEqual([500, 500, 500, 500, 200]);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? 0));
    const expected = [200, 400, 800, 800];
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual((expected[i] ?? 0) - 5);
      expect(gap).toBeLessThan((expected[i] ?? 0) + 190);
    });
  });

  it('starts the backoff over once a watch has delivered events', async () => {
    cache = new NamespaceLabelCache({ kubeConfig: kc, backoffInitialMs: 1000, backoffMaxMs: 10_000, random: () => 0, log: () => undefined });
    await cache.start();
    const c = cache;
    for (const [i, name] of ['mike', 'november', 'oscar'].entries()) {
      await fake.waitForRequests({ path: NS_PATH, watch: true }, i + 1);
      await eventually(() => fake.watchCount === 1, 'an open watch');
      fake.upsert('namespaces', ns(name));
      await eventually(() => c.labels(name) !== undefined, `ADDED ${name}`);
      fake.sendWatchError('namespaces', 500);
    }
    const watched = await fake.waitForRequests({ path: NS_PATH, watch: true }, 4);
    const gaps = watched.slice(1).map((r, i) => r.time - (watched[i]?.time ?? 0));
    // Each error follows progress, so each retry waits the first step (500 ms), never 1000 or 2000.
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(495);
      expect(gap).toBeLessThan(950);
    }
    expect(lists(fake)).toHaveLength(1);
  });

  it('gives up on a list page or a watch that does not answer within the time budget, and retries', async () => {
    fake.fail({ path: NS_PATH, watch: false }, { status: 500, delayMs: 5000 });
    fake.fail({ path: NS_PATH, watch: true }, { status: 500, delayMs: 5000 });
    const { log, entries } = collector();
    cache = new NamespaceLabelCache({ kubeConfig: kc, requestTimeoutMs: 300, backoffInitialMs: 20, backoffMaxMs: 20, log });
    const began = Date.now();
    await expect(within(cache.start(), 3000, 'the sync')).resolves.toBe(true);
    expect(Date.now() - began).toBeGreaterThanOrEqual(300);
    const watched = await fake.waitForRequests({ path: NS_PATH, watch: true }, 2);
    const gap = (watched[1]?.time ?? 0) - (watched[0]?.time ?? 0);
    expect(gap).toBeGreaterThanOrEqual(300);
    expect(gap).toBeLessThan(2000);
    expect(entries.filter((e) => e.level === 'warn').map((e) => e.fields['reason'])).toEqual(['no answer to the namespace list within 300 ms', 'no answer to the namespace watch within 300 ms']);
    expect(lists(fake)).toHaveLength(2);
  });

  it('survives a malformed watch event: rewatches and keeps its labels', async () => {
    const { log, entries } = collector();
    cache = new NamespaceLabelCache({ kubeConfig: kc, backoffInitialMs: 20, log });
    await cache.start();
    await fake.waitForRequests({ path: NS_PATH, watch: true });
    fake.sendRaw('namespaces', '{"type":"ADDED","object":{"metadata":{"na\n');
    await fake.waitForRequests({ path: NS_PATH, watch: true }, 2);
    expect(entries.some((e) => String(e.fields['reason']).includes('malformed watch event'))).toBe(true);
    expect(cache.synced).toBe(true);
    expect(cache.size).toBe(7);
    fake.upsert('namespaces', ns('kilo'));
    const c = cache;
    await eventually(() => c.labels('kilo') !== undefined, 'ADDED kilo after the rewatch');
  });

  it('stop() ends the watch and timers: no request afterwards', async () => {
    cache = new NamespaceLabelCache({ kubeConfig: kc, log: () => undefined });
    await cache.start();
    await fake.waitForRequests({ path: NS_PATH, watch: true });
    await eventually(() => fake.watchCount === 1, 'the open watch');
    await within(cache.stop(), 2000, 'stop()');
    await eventually(() => fake.watchCount === 0, 'the watch to close', 2000);
    const count = fake.requests.length;
    fake.upsert('namespaces', ns('lima'));
    await sleep(300);
    expect(fake.requests.length).toBe(count);
    expect(cache.labels('lima')).toBeUndefined();
    // Stopped for good: start() again does nothing.
    await expect(cache.start()).resolves.toBe(true);
    await sleep(100);
    expect(fake.requests.length).toBe(count);
  });

  it('stop() during backoff resolves start() with false and sends nothing more', async () => {
    fake.fail({ path: NS_PATH }, { status: 403, times: 1000 });
    cache = new NamespaceLabelCache({ kubeConfig: kc, backoffInitialMs: 60_000, log: () => undefined });
    const started = cache.start();
    await fake.waitForRequests({ path: NS_PATH }, 1);
    await within(cache.stop(), 1000, 'stop() during a 30 s backoff');
    await expect(started).resolves.toBe(false);
    const count = fake.requests.length;
    await sleep(200);
    expect(fake.requests.length).toBe(count);
  });

  it('stop() before start() makes start() resolve false without any request', async () => {
    cache = new NamespaceLabelCache({ kubeConfig: kc, log: () => undefined });
    await cache.stop();
    await expect(cache.start()).resolves.toBe(false);
    expect(fake.requests).toHaveLength(0);
  });

  it('reports rejected credentials (401)', async () => {
    const bad = new KubeConfig();
    bad.loadFromString(fake.kubeconfig({ token: 'expired' }));
    const { log, entries } = collector();
    cache = new NamespaceLabelCache({ kubeConfig: bad, backoffInitialMs: 20, log });
    void cache.start();
    await eventually(() => entries.length > 0, 'a log entry');
    expect(entries[0]).toMatchObject({ level: 'error', fields: { status: 401 } });
    expect(entries[0]?.message).toMatch(/rejected the credentials/);
    expect(JSON.stringify(entries)).not.toContain('expired');
    expect(cache.synced).toBe(false);
  });

  it('leaves no handle behind: a process that starts, syncs and stops a cache exits by itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-ns-'));
    try {
      const kubeconfig = fake.writeKubeconfig(dir);
      const script = join(dir, 'run.mts');
      writeFileSync(
        script,
        [
          `import { NamespaceLabelCache, loadKubeConfig } from ${JSON.stringify(join(ROOT, 'src/admission/namespaces.ts'))};`,
          `const cache = new NamespaceLabelCache({ kubeConfig: await loadKubeConfig({ kubeconfig: ${JSON.stringify(kubeconfig)} }), log: () => undefined });`,
          'const synced = await cache.start();',
          'await new Promise((resolve) => setTimeout(resolve, 200));',
          'await cache.stop();',
          "process.stdout.write(`synced=${synced} size=${cache.size}\\n`);",
        ].join('\n'),
      );
      const result = await new Promise<{ code: number | null; out: string; err: string; ms: number }>((resolve, reject) => {
        const began = Date.now();
        // node itself (not npx) so that a kill reaches the process that could hang.
        const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(killer);
          resolve({ code, out, err, ms: Date.now() - began });
        });
      });
      expect(result.err).toBe('');
      expect(result.out).toBe('synced=true size=7\n');
      expect(result.code).toBe(0);
      // The watch was open when stop() came: its socket must not keep the process alive.
      expect(fake.requestsMatching({ path: NS_PATH, watch: true }).length).toBeGreaterThanOrEqual(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('loadKubeConfig', () => {
  let fake: FakeApiServer;
  let dir: string;
  const saved = { ...process.env };
  beforeEach(async () => {
    fake = await FakeApiServer.start();
    fake.upsertAll('namespaces', [ns('kube-system'), ns('shop', { 'mamori.io/enforce': 'baseline' })]);
    dir = mkdtempSync(join(tmpdir(), 'mamori-kc-'));
  });
  afterEach(async () => {
    process.env = { ...saved };
    rmSync(dir, { recursive: true, force: true });
    await fake.close();
  });

  it('loads a kubeconfig file and syncs through it', async () => {
    const kubeConfig = await loadKubeConfig({ kubeconfig: fake.writeKubeconfig(dir) });
    const cache = new NamespaceLabelCache({ kubeConfig, log: () => undefined });
    try {
      await cache.start();
      expect(cache.labels('shop')?.['mamori.io/enforce']).toBe('baseline');
    } finally {
      await cache.stop();
    }
  });

  it('loads the in-cluster service account (token file, CA file) when KUBERNETES_SERVICE_HOST is set', async () => {
    Object.assign(process.env, fake.writeInClusterFiles(dir, 'mamori-system'));
    const kubeConfig = await loadKubeConfig({ inClusterPathPrefix: dir });
    expect(kubeConfig.getCurrentCluster()?.server).toBe(fake.url);
    const cache = new NamespaceLabelCache({ kubeConfig, log: () => undefined });
    try {
      await cache.start();
      expect(cache.size).toBe(2);
      expect(fake.requests.every((r) => r.authenticated)).toBe(true);
    } finally {
      await cache.stop();
    }
  });

  it('refuses a missing file, an unknown context, and the absence of any cluster', async () => {
    await expect(loadKubeConfig({ kubeconfig: join(dir, 'missing') })).rejects.toMatchObject({ code: 'config' });
    await expect(loadKubeConfig({ kubeconfig: fake.writeKubeconfig(dir), context: 'prod' })).rejects.toMatchObject({ code: 'usage', message: expect.stringContaining('"prod"') });
    delete process.env['KUBERNETES_SERVICE_HOST'];
    delete process.env['KUBECONFIG'];
    process.env['HOME'] = dir;
    const error = await loadKubeConfig({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MamoriError);
    expect((error as MamoriError).code).toBe('usage');
    expect((error as MamoriError).message).toMatch(/no cluster to watch namespaces in/);
  });
});
