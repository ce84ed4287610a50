import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('loadConfig', () => {
  it('applies the CONTRACT.md defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      armEndpoint: 'https://management.azure.com',
      armToken: null,
      azureCloud: 'AzurePublicCloud',
      armScope: 'https://management.azure.com/.default',
      subscriptions: null,
      snapshotCron: '0 * * * *',
      nodeCheckCron: '30 3 * * *',
      patchSlaDays: 30,
      maxExceptionDays: 90,
      retentionDays: 400,
      entraAuthority: 'https://login.microsoftonline.com',
      logLevel: 'info',
      reportHeapMB: 160,
    });
    expect(config.databaseFile.endsWith('/data/imagewarden.db')).toBe(true);
  });

  it('parses every variable it is given', () => {
    const config = loadConfig({
      IMAGEWARDEN_DATA_DIR: '/var/lib/iw',
      IMAGEWARDEN_PORT: '9090',
      IMAGEWARDEN_ARM_ENDPOINT: 'https://127.0.0.1:8443/',
      IMAGEWARDEN_SUBSCRIPTIONS: '11111111-2222-3333-4444-555555555555, 66666666-7777-8888-9999-AAAAAAAAAAAA',
      IMAGEWARDEN_SNAPSHOT_CRON: 'off',
      IMAGEWARDEN_AZURE_CLOUD: 'AzureUSGovernment',
      IMAGEWARDEN_PATCH_SLA_DAYS: '14',
      IMAGEWARDEN_REPORT_HEAP_MB: '0',
    });
    expect(config.dataDir).toBe('/var/lib/iw');
    expect(config.port).toBe(9090);
    expect(config.armEndpoint).toBe('https://127.0.0.1:8443');
    expect(config.subscriptions).toEqual(['11111111-2222-3333-4444-555555555555', '66666666-7777-8888-9999-aaaaaaaaaaaa']);
    expect(config.snapshotCron).toBeNull();
    expect(config.armScope).toBe('https://management.usgovcloudapi.net/.default');
    expect(config.patchSlaDays).toBe(14);
    expect(config.reportHeapMB).toBe(0);
  });

  it.each([
    ['IMAGEWARDEN_PORT', 'eighty'],
    ['IMAGEWARDEN_PORT', '70000'],
    ['IMAGEWARDEN_ARM_ENDPOINT', 'http://127.0.0.1:8443'],
    ['IMAGEWARDEN_ARM_ENDPOINT', 'not a url'],
    ['IMAGEWARDEN_SUBSCRIPTIONS', 'prod-subscription'],
    ['IMAGEWARDEN_SNAPSHOT_CRON', 'every hour'],
    ['IMAGEWARDEN_NODE_CHECK_CRON', '61 * * * *'],
    ['IMAGEWARDEN_AZURE_CLOUD', 'AzureGermanCloud'],
    ['IMAGEWARDEN_PATCH_SLA_DAYS', '0'],
    ['IMAGEWARDEN_MAX_EXCEPTION_DAYS', '-5'],
    ['IMAGEWARDEN_RETENTION_DAYS', '1.5'],
    ['IMAGEWARDEN_LOG_LEVEL', 'verbose'],
    ['IMAGEWARDEN_REPORT_HEAP_MB', '32'],
    ['IMAGEWARDEN_ENTRA_TENANT_ID', 'contoso.onmicrosoft.com'],
    ['IMAGEWARDEN_REPORT_HEAP_MB', 'lots'],
    ['IMAGEWARDEN_ENTRA_TENANT_ID', '72f988bf-86f1-41af-91ab-2d7cd011db47'],
  ])('refuses %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('takes the Entra ID tenant as its id, not a domain name that no token carries', () => {
    expect(() => loadConfig({ IMAGEWARDEN_ENTRA_TENANT_ID: 'contoso.onmicrosoft.com', IMAGEWARDEN_ENTRA_AUDIENCE: 'api://imagewarden' })).toThrow(/IMAGEWARDEN_ENTRA_TENANT_ID: expected the directory \(tenant\) id, a GUID/);
    expect(loadConfig({ IMAGEWARDEN_ENTRA_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47', IMAGEWARDEN_ENTRA_AUDIENCE: 'api://imagewarden' }).entraTenantId).toBe('72f988bf-86f1-41af-91ab-2d7cd011db47');
  });

  it('reads browser session lifetimes and whose X-Forwarded-* headers count (nobody\'s by default; never anybody\'s)', () => {
    expect(loadConfig({})).toMatchObject({ sessionIdleMinutes: 30, sessionMaxHours: 8, trustProxy: false });
    expect(loadConfig({ IMAGEWARDEN_SESSION_IDLE_MINUTES: '15', IMAGEWARDEN_SESSION_MAX_HOURS: '12' })).toMatchObject({ sessionIdleMinutes: 15, sessionMaxHours: 12 });
    expect(loadConfig({ IMAGEWARDEN_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ IMAGEWARDEN_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,loopback,fd00::/8' }).trustProxy).toBe('10.0.0.0/8,127.0.0.1,loopback,fd00::/8');
    for (const [name, value] of [
      ['IMAGEWARDEN_SESSION_IDLE_MINUTES', '0'],
      ['IMAGEWARDEN_SESSION_MAX_HOURS', '169'],
      ['IMAGEWARDEN_TRUST_PROXY', 'true'],
      ['IMAGEWARDEN_TRUST_PROXY', '0'],
      ['IMAGEWARDEN_TRUST_PROXY', '10.0.0.0/33'],
      ['IMAGEWARDEN_TRUST_PROXY', 'proxy.example'],
    ]) {
      expect(() => loadConfig({ [name!]: value }), `${name}=${value}`).toThrow(name);
    }
  });

  it('reports every bad variable at once', () => {
    try {
      loadConfig({ IMAGEWARDEN_PORT: 'x', IMAGEWARDEN_LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(2);
    }
  });

  describe('dashboard sign-in with Entra ID (IMAGEWARDEN_ENTRA_CLIENT_ID, _CLIENT_SECRET, _SCOPE)', () => {
    const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    const CLIENT = '5A4B3C2D-1E0F-4A9B-8C7D-6E5F4A3B2C1D';
    const entra = { IMAGEWARDEN_ENTRA_TENANT_ID: TENANT, IMAGEWARDEN_ENTRA_AUDIENCE: 'api://imagewarden' };

    it('is off by default, and on with a client id beside the tenant and audience: scope <audience>/.default, a public client', () => {
      expect(loadConfig({})).toMatchObject({ entraClientId: null, entraClientSecret: null, entraScope: null });
      expect(loadConfig(entra)).toMatchObject({ entraClientId: null, entraScope: null });
      expect(loadConfig({ ...entra, IMAGEWARDEN_ENTRA_CLIENT_ID: CLIENT })).toMatchObject({
        entraClientId: CLIENT.toLowerCase(),
        entraClientSecret: null,
        entraScope: 'api://imagewarden/.default',
      });
      // A bare client id as the audience gives the same form of scope.
      expect(loadConfig({ ...entra, IMAGEWARDEN_ENTRA_AUDIENCE: CLIENT, IMAGEWARDEN_ENTRA_CLIENT_ID: CLIENT }).entraScope).toBe(`${CLIENT}/.default`);
    });

    it('takes a confidential client\'s secret and another scope', () => {
      const config = loadConfig({ ...entra, IMAGEWARDEN_ENTRA_CLIENT_ID: CLIENT, IMAGEWARDEN_ENTRA_CLIENT_SECRET: 'Abc8Q~secret.value_-x', IMAGEWARDEN_ENTRA_SCOPE: 'api://imagewarden/access_as_user' });
      expect(config).toMatchObject({ entraClientSecret: 'Abc8Q~secret.value_-x', entraScope: 'api://imagewarden/access_as_user' });
    });

    it.each([
      [{ IMAGEWARDEN_ENTRA_CLIENT_ID: CLIENT }, /IMAGEWARDEN_ENTRA_CLIENT_ID: needs IMAGEWARDEN_ENTRA_TENANT_ID and IMAGEWARDEN_ENTRA_AUDIENCE/],
      [{ ...entra, IMAGEWARDEN_ENTRA_CLIENT_ID: 'imagewarden-dashboard' }, /IMAGEWARDEN_ENTRA_CLIENT_ID: expected the application \(client\) id, a GUID/],
      [{ ...entra, IMAGEWARDEN_ENTRA_CLIENT_SECRET: 'orphan-secret' }, /IMAGEWARDEN_ENTRA_CLIENT_SECRET: set without IMAGEWARDEN_ENTRA_CLIENT_ID/],
      [{ ...entra, IMAGEWARDEN_ENTRA_SCOPE: 'api://imagewarden/.default' }, /IMAGEWARDEN_ENTRA_SCOPE: set without IMAGEWARDEN_ENTRA_CLIENT_ID/],
      [{ ...entra, IMAGEWARDEN_ENTRA_CLIENT_ID: CLIENT, IMAGEWARDEN_ENTRA_SCOPE: 'api://x/.default  "quoted"' }, /IMAGEWARDEN_ENTRA_SCOPE: expected space-separated scopes/],
      [{ ...entra, IMAGEWARDEN_ENTRA_CLIENT_ID: CLIENT, IMAGEWARDEN_ENTRA_CLIENT_SECRET: 'has a space' }, /IMAGEWARDEN_ENTRA_CLIENT_SECRET: expected up to 1024 printable ASCII/],
    ])('refuses %o with a message naming the variable', (env, message) => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    });

    it('never repeats the client secret in a message', () => {
      expect(() => loadConfig({ IMAGEWARDEN_ENTRA_CLIENT_SECRET: 'do-not-print-me' })).toThrow(/^(?![\s\S]*do-not-print-me)/);
      expect(() => loadConfig({ ...entra, IMAGEWARDEN_ENTRA_CLIENT_ID: CLIENT, IMAGEWARDEN_ENTRA_CLIENT_SECRET: 'do not print me' })).toThrow(/^(?![\s\S]*do not print me)/);
    });
  });
});
