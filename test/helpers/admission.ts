import { join } from 'node:path';
import { Logger } from '../../src/admission/log.js';
import { DEFAULT_MODES } from '../../src/admission/modes.js';
import { StaticNamespaceLabels } from '../../src/admission/namespaces.js';
import { Evaluator } from '../../src/admission/review.js';
import type { AdmissionServerOptions } from '../../src/admission/server.js';
import { knownRules, parseConfig } from '../../src/engine/config.js';
import { RULES } from '../../src/rules/index.js';
import type { JsonObject } from '../../src/types.js';

/**
 * A webhook server's options for tests: the catalog with the default modes, no exemptions, fail
 * closed, a 10 s budget, no logs, its certificate and key `tls.crt` and `tls.key` in `dir`, on
 * 127.0.0.1 and a free port; `more` overrides.
 */
export function webhookOptions(dir: string, more: Partial<AdmissionServerOptions> = {}): AdmissionServerOptions {
  const config = parseConfig({}, 'test.yaml', knownRules(RULES));
  return {
    certFile: join(dir, 'tls.crt'),
    keyFile: join(dir, 'tls.key'),
    port: 0,
    host: '127.0.0.1',
    context: { namespaces: new StaticNamespaceLabels(), settings: { defaults: DEFAULT_MODES, exemptions: { usernames: [], namespaces: [], runtimeClasses: [] }, failOn: 'low', failurePolicy: 'Fail' }, evaluator: new Evaluator({ rules: RULES, config }), requireReview: true },
    failurePolicy: 'Fail',
    timeoutMs: 10_000,
    logger: new Logger({ write: () => undefined }),
    shutdownGraceMs: 1000,
    ...more,
  };
}

/** The AdmissionReview body the API server sends a webhook for a Pod CREATE by alice in `shop`. */
export function podCreateReview(uid: string, pod: JsonObject): string {
  const name = (pod['metadata'] as JsonObject | undefined)?.['name'];
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      requestKind: { group: '', version: 'v1', kind: 'Pod' },
      requestResource: { group: '', version: 'v1', resource: 'pods' },
      name,
      namespace: 'shop',
      operation: 'CREATE',
      userInfo: { username: 'alice', groups: ['system:authenticated'] },
      object: pod,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  });
}
