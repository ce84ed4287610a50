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
});
