import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Evaluator, validate, type ReviewContext } from '../src/admission/review.js';
import type { AdmissionResponse, ModePolicy } from '../src/admission/types.js';
import { scanObjects } from '../src/engine/scan.js';
import { asObject, asString } from '../src/k8s/object.js';
import { loadInput, resolveInputs } from '../src/load/load.js';
import { policyRules, readPolicies } from '../src/policy/rules.js';
import { resourceForKind } from '../src/policy/vap.js';
import type { JsonObject } from '../src/types.js';

// One policy, the same verdict and message in every place: for each example policy and each
// object of its test resources, `mamori scan --policy` (a finding through a Deny binding, a
// warning through a Warn binding) and the admission webhook (a denial with the API server's
// status, warnings) agree. `mamori policy test` runs the same evaluation (test/policy-test.test.ts).

const EXAMPLES = join(import.meta.dirname, '..', 'examples', 'policies');
const PRIVILEGED: ModePolicy = { kind: 'pss', policy: { level: 'privileged', version: 'latest' } };
const evaluator = new Evaluator({ rules: [] });

function objectsOf(file: string): JsonObject[] {
  const objects: JsonObject[] = [];
  for (const input of resolveInputs([file]).inputs) for (const o of loadInput(input).objects) objects.push(o.object);
  return objects;
}

function review(object: JsonObject): JsonObject {
  const kind = asString(object['kind']) ?? '';
  const [group, version] = (asString(object['apiVersion']) ?? '').includes('/') ? (asString(object['apiVersion']) ?? '').split('/') : ['', asString(object['apiVersion']) ?? ''];
  const resource = { group: group ?? '', version: version ?? '', resource: resourceForKind(kind) };
  const metadata = asObject(object['metadata']) ?? {};
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'consistency',
      kind: { group: resource.group, version: resource.version, kind },
      resource,
      name: asString(metadata['name']) ?? '',
      namespace: asString(metadata['namespace']) ?? 'default',
      operation: 'CREATE',
      userInfo: { username: 'alice', groups: ['system:authenticated'] },
      object,
      oldObject: null,
      dryRun: false,
    },
  };
}

const examples = readdirSync(EXAMPLES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

describe('the same verdict and message in scan and in the admission webhook', () => {
  it('covers every example policy', () => {
    expect(examples).toEqual(['no-loadbalancer', 'registry-allowlist', 'replica-limit', 'required-labels']);
  });

  it.each(examples)('%s', (name) => {
    const { loaded, errors } = readPolicies([join(EXAMPLES, name, 'policy.yaml')]);
    expect(errors).toEqual([]);
    const resources = objectsOf(join(EXAMPLES, name, 'resources.yaml'));
    const namespaces = new Map<string, Record<string, string>>();
    for (const o of resources) {
      if (o['kind'] !== 'Namespace') continue;
      const md = asObject(o['metadata']) ?? {};
      const labels = Object.fromEntries(Object.entries(asObject(md['labels']) ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
      namespaces.set(asString(md['name']) ?? '', labels);
    }
    const ctx: ReviewContext = {
      namespaces: { labels: (ns) => namespaces.get(ns), synced: true },
      settings: { defaults: { enforce: PRIVILEGED, warn: PRIVILEGED, audit: PRIVILEGED }, exemptions: { usernames: [], namespaces: [], runtimeClasses: [] }, failOn: 'low', failurePolicy: 'Fail' },
      evaluator,
      policies: loaded,
    };
    const judged = resources.filter((o) => o['kind'] !== 'Namespace');
    const report = scanObjects(resources, { rules: policyRules(loaded) });
    let denials = 0;
    for (const object of judged) {
      const md = asObject(object['metadata']);
      const ref = `${String(object['kind'])}/${String(md?.['namespace'] ?? 'default')}/${String(md?.['name'])}`;
      const findings = report.findings.filter((f) => `${f.object.kind}/${f.object.namespace ?? 'default'}/${f.object.name}` === ref).map((f) => f.message);
      const denied = findings.filter((m) => / denied request: /.test(m));
      const warned = findings.filter((m) => m.startsWith('Validation failed for '));
      const answer = (validate(review(object), ctx).review as { response: AdmissionResponse }).response;
      expect(answer.allowed, ref).toBe(denied.length === 0);
      if (!answer.allowed) {
        denials++;
        // The API server names the object and gives the first failing binding's message: one of the scan's.
        const message = answer.status?.message ?? '';
        const resource = review(object)['request'] as { resource: { group: string; resource: string }; name: string };
        const prefix = `${resource.resource.resource}${resource.resource.group === '' ? '' : `.${resource.resource.group}`} "${resource.name}" is forbidden: `;
        expect(message.startsWith(prefix), message).toBe(true);
        expect(denied, ref).toContain(message.slice(prefix.length));
      } else {
        expect(answer.warnings ?? [], ref).toEqual(warned);
      }
    }
    // Every example has objects its policy denies.
    expect(denials).toBeGreaterThan(0);
  });
});
