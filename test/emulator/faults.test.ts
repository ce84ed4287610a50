import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import type { RestError } from '@azure/core-rest-pipeline';
import { SUB_A, SUB_B, clientsFor, rawFetch, smallFleet, startTestEmulator, staticCredential } from './emulator-test-kit.js';

async function caught(promise: PromiseLike<unknown>): Promise<RestError> {
  try {
    await promise;
  } catch (error) {
    return error as RestError;
  }
  throw new Error('expected the call to fail');
}

const ARG = '/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01';
const argPost = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"resources"}' };

describe('fault plan', () => {
  it('throttle: 429 + Retry-After, which the SDK retries transparently', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet(), faults: { rules: [{ operation: 'agentPools.get', action: 'throttle', retryAfterSeconds: 1 }] } });
    const retrying = new ContainerServiceClient(staticCredential(emulator.token), SUB_A, { endpoint: emulator.url, retryOptions: { maxRetries: 1 } });
    const started = Date.now();
    const found = await retrying.agentPools.get('rg-test', 'aks-a1', 'system');
    expect(found.name).toBe('system');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(emulator.callCounts()['agentPools.get']).toBe(2);
    expect(emulator.traffic()).toEqual([]); // recording is off unless asked for

    emulator.setFaults({ rules: [{ operation: 'resources', action: 'throttle', retryAfterSeconds: 2 }] });
    const raw = await rawFetch(emulator, ARG, argPost);
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('2');
    expect(raw.headers.get('x-ms-user-quota-remaining')).toBe('0');
    expect(await raw.json()).toMatchObject({ error: { code: 'RateLimiting', details: [{ code: 'RateLimiting' }] } });
  });

  it('quota-throttle: 429 with only the x-ms-user-quota-* headers, which the SDK does not retry', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet(), faults: { rules: [{ operation: 'resources', action: 'quota-throttle', retryAfterSeconds: 3, times: 2 }] } });
    const raw = await rawFetch(emulator, ARG, argPost);
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBeNull();
    expect(raw.headers.get('x-ms-user-quota-resets-after')).toBe('00:00:03');
    const error = await caught(clientsFor(emulator).graph.resources({ query: 'resources' }));
    expect(error).toMatchObject({ statusCode: 429, code: 'RateLimiting' });
    expect((await clientsFor(emulator).graph.resources({ query: 'resources' })).totalRecords).toBe(3); // times: 2 used up
  });

  it('error: the nth matching request (counted per rule) answers the given status and ARM error', async () => {
    const emulator = await startTestEmulator({
      fleet: smallFleet(),
      faults: { rules: [{ operation: 'managedClusters.get', nth: 2, action: 'error', status: 503, code: 'ServiceUnavailable', message: 'try later' }] },
    });
    const aks = clientsFor(emulator).aks(SUB_A);
    await aks.managedClusters.get('rg-test', 'aks-a1');
    expect(await caught(aks.managedClusters.get('rg-test', 'aks-a1'))).toMatchObject({ statusCode: 503, code: 'ServiceUnavailable', message: 'try later' });
    await expect(aks.managedClusters.get('rg-test', 'aks-a1')).resolves.toMatchObject({ name: 'aks-a1' });
    expect(emulator.callCounts()['managedClusters.get']).toBe(3);
  });

  it('matches rules on subscription and pool, and fires always with times -1', async () => {
    const emulator = await startTestEmulator({
      fleet: smallFleet(),
      faults: { rules: [{ operation: 'agentPools.getUpgradeProfile', subscriptionId: SUB_A.toUpperCase(), poolName: 'win1', times: -1, action: 'error', status: 500 }] },
    });
    const a = clientsFor(emulator).aks(SUB_A);
    for (let i = 0; i < 3; i++) expect(await caught(a.agentPools.getUpgradeProfile('rg-test', 'aks-a1', 'win1'))).toMatchObject({ statusCode: 500, code: 'InternalServerError' });
    await expect(a.agentPools.getUpgradeProfile('rg-test', 'aks-a1', 'system')).resolves.toBeDefined();
    await expect(clientsFor(emulator).aks(SUB_B).agentPools.getUpgradeProfile('rg-test', 'aks-b1', 'system')).resolves.toBeDefined();
  });

  it('slow: delays the answer by delayMs, then answers normally', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet(), faults: { rules: [{ operation: 'resources', action: 'slow', delayMs: 300 }] } });
    const { graph } = clientsFor(emulator);
    let started = Date.now();
    expect((await graph.resources({ query: 'resources' })).totalRecords).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    started = Date.now();
    await graph.resources({ query: 'resources' });
    expect(Date.now() - started).toBeLessThan(250);
  });

  it('drop: resets the connection without an HTTP answer', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet(), faults: { rules: [{ operation: 'resources', action: 'drop' }] } });
    const { graph } = clientsFor(emulator);
    const error = await caught(graph.resources({ query: 'resources' }));
    expect(error.statusCode).toBeUndefined();
    expect(error.code).toMatch(/ECONNRESET|REQUEST_SEND_ERROR/);
    expect((await graph.resources({ query: 'resources' })).totalRecords).toBe(3);
  });

  it('loads a fault plan from a file and setFaults() replaces it at run time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faults-'));
    const file = join(dir, 'faults.json');
    writeFileSync(file, JSON.stringify({ rules: [{ operation: '*', action: 'error', status: 500, times: -1 }] }));
    const emulator = await startTestEmulator({ fleet: smallFleet(), faults: file });
    rmSync(dir, { recursive: true, force: true }); // read at start
    const aks = clientsFor(emulator).aks(SUB_A);
    expect(await caught(aks.managedClusters.get('rg-test', 'aks-a1'))).toMatchObject({ statusCode: 500 });
    emulator.setFaults({ rules: [] });
    await expect(aks.managedClusters.get('rg-test', 'aks-a1')).resolves.toBeDefined();
    expect(() => emulator.setFaults({ rules: [{ operation: 'x', action: 'explode' as never }] })).toThrow(/action must be one of/);
  });
});
