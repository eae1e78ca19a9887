import { describe, expect, it } from 'vitest';
import { admissionSettings } from '../src/cli/admission.js';
import { knownRules, parseConfig } from '../src/engine/config.js';
import { MamoriError } from '../src/errors.js';
import { RULES } from '../src/rules/index.js';

const known = knownRules(RULES);

describe('the admission section of the configuration', () => {
  const config = parseConfig(
    {
      failOn: 'high',
      admission: {
        defaults: { enforce: 'restricted:v1.30', warn: 'catalog' },
        exemptions: { usernames: ['system:serviceaccount:ci:deployer'], namespaces: ['legacy'] },
        failurePolicy: 'Ignore',
        timeoutMs: 1500,
      },
    },
    '.mamori.yaml',
    known,
  );

  it('gives the server its settings when no flag says otherwise', () => {
    const settings = admissionSettings({}, config.failOn, config.admission);
    expect(settings.defaults.enforce).toEqual({ kind: 'pss', policy: { level: 'restricted', version: 'v1.30' } });
    expect(settings.defaults.warn).toEqual({ kind: 'catalog' });
    expect(settings.defaults.audit).toEqual({ kind: 'pss', policy: { level: 'restricted', version: 'latest' } });
    expect(settings.exemptions).toEqual({ usernames: ['system:serviceaccount:ci:deployer'], namespaces: ['legacy'], runtimeClasses: [] });
    expect(settings.failurePolicy).toBe('Ignore');
    expect(settings.timeoutMs).toBe(1500);
    expect(settings.failOn).toBe('high');
  });

  it('reads who answers the authorizer checks; the flag wins', async () => {
    const { authorizerSource } = await import('../src/cli/admission.js');
    const section = parseConfig({ admission: { authorizer: 'none' } }, '.mamori.yaml', known).admission;
    expect(section?.authorizer).toBe('none');
    expect(authorizerSource(undefined, section?.authorizer, true)).toBe('none');
    expect(authorizerSource('api', section?.authorizer, true)).toBe('api');
  });

  it('lets flags win, and adds the exemptions of both', () => {
    const settings = admissionSettings({ failurePolicy: 'Fail', timeout: '900', defaultEnforce: 'baseline', exemptNamespaces: 'batch' }, config.failOn, config.admission);
    expect(settings.failurePolicy).toBe('Fail');
    expect(settings.timeoutMs).toBe(900);
    expect(settings.defaults.enforce).toEqual({ kind: 'pss', policy: { level: 'baseline', version: 'latest' } });
    expect(settings.exemptions.namespaces).toEqual(['batch', 'legacy']);
  });

  it('rejects unknown keys and bad values, naming the key', () => {
    for (const [admission, key] of [
      [{ failurPolicy: 'Fail' }, 'admission.failurPolicy'],
      [{ failurePolicy: 'Maybe' }, 'admission.failurePolicy'],
      [{ defaults: { enforce: 'strict' } }, 'admission.defaults.enforce'],
      [{ exemptions: { users: ['x'] } }, 'admission.exemptions.users'],
      [{ authorizer: 'rbac' }, 'admission.authorizer'],
    ] as const) {
      let error: unknown;
      try {
        parseConfig({ admission }, '.mamori.yaml', known);
      } catch (e) {
        error = e;
      }
      expect(error, key).toBeInstanceOf(MamoriError);
      expect((error as MamoriError).message).toContain(key);
    }
  });
});
