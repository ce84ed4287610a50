import { describe, expect, it } from 'vitest';
import { INVENTORY_QUERY } from '../../src/azure/inventory-query.js';
import type { RestError } from '@azure/core-rest-pipeline';
import { generateFleet } from '../../src/emulator/index.js';
import type { FleetFile } from '../../src/emulator/index.js';
import {
  SUB_A, SUB_B, SUB_FORBIDDEN, SUB_SILENT, TENANT, UBUNTU, clientsFor, cluster, pool, rawFetch, smallFleet, startTestEmulator,
} from './emulator-test-kit.js';

/** The service's real inventory query: the emulator must keep running exactly what imagewarden sends. */
const INVENTORY = INVENTORY_QUERY;

function fleetOf(count: number): FleetFile {
  return {
    tenantId: TENANT,
    subscriptions: [{ id: SUB_A, clusters: Array.from({ length: count }, (_, i) => cluster(`aks-${String(i).padStart(4, '0')}`, [pool('system')])) }],
  };
}

async function caught(promise: Promise<unknown>): Promise<RestError & { details?: any }> {
  try {
    await promise;
  } catch (error) {
    return error as RestError;
  }
  throw new Error('expected the call to fail');
}

describe('Resource Graph paging', () => {
  it.each([
    [0, [0]],
    [1000, [1000]],
    [1001, [1000, 1]],
  ])('pages %i clusters as %j rows per page with string resultTruncated', async (clusters, pages) => {
    const emulator = await startTestEmulator({ fleet: fleetOf(clusters) });
    const { graph } = clientsFor(emulator);
    const counts: number[] = [];
    const ids: string[] = [];
    let skipToken: string | undefined;
    do {
      const page = await graph.resources({ query: INVENTORY, options: { top: 1000, skipToken } });
      expect(page.resultTruncated).toBe('false');
      expect(page.totalRecords).toBe(clusters);
      counts.push(page.count);
      ids.push(...(page.data as { id: string }[]).map((row) => row.id));
      skipToken = page.skipToken;
    } while (skipToken);
    expect(counts).toEqual(pages);
    expect(new Set(ids).size).toBe(clusters);
    expect([...ids].sort()).toEqual(ids); // order by id asc, stable across pages
  });

  it('follows a long $skipToken chain over a generated multi-subscription fleet', async () => {
    const fleet = generateFleet({ subscriptions: 3, clusters: 230, poolsPerCluster: [1, 4], locations: 4, seed: 11 });
    const emulator = await startTestEmulator({ fleet });
    const { graph } = clientsFor(emulator);
    let page = await graph.resources({ query: INVENTORY, options: { top: 10 } });
    const rows = [...(page.data as { agentPoolProfiles: unknown[] }[])];
    let pages = 1;
    while (page.skipToken) {
      page = await graph.resources({ query: INVENTORY, options: { skipToken: page.skipToken } }); // the token carries $top
      rows.push(...(page.data as { agentPoolProfiles: unknown[] }[]));
      pages++;
    }
    expect(pages).toBe(23);
    expect(rows).toHaveLength(230);
    expect(rows.reduce((sum, row) => sum + row.agentPoolProfiles.length, 0)).toBe(
      fleet.subscriptions.flatMap((s) => s.clusters).reduce((sum, c) => sum + c.agentPools.length, 0),
    );
  });

  it('marks take/limit results truncated, without a $skipToken, and serves the table format', async () => {
    const emulator = await startTestEmulator({ fleet: fleetOf(30) });
    const { graph } = clientsFor(emulator);
    const taken = await graph.resources({ query: 'resources | order by id asc | take 5', options: { top: 2 } });
    expect(taken).toMatchObject({ resultTruncated: 'true', count: 2, totalRecords: 5 });
    expect(taken.skipToken).toBeUndefined();
    const table = await graph.resources({ query: 'resources | project id, name, n = toint(properties.maxAgentPools) | order by id asc', options: { top: 1, resultFormat: 'table' } });
    expect(table.data).toEqual({
      columns: [{ name: 'id', type: 'string' }, { name: 'name', type: 'string' }, { name: 'n', type: 'integer' }],
      rows: [[expect.stringMatching(/managedClusters\/aks-0000$/), 'aks-0000', 100]],
    });
    expect(table.skipToken).toBeDefined();
  });

  it('rejects $top out of range and a $skipToken used with another query', async () => {
    const emulator = await startTestEmulator({ fleet: fleetOf(3) });
    const { graph } = clientsFor(emulator);
    for (const top of [0, 1001]) {
      const error = await caught(graph.resources({ query: INVENTORY, options: { top } }));
      expect(error.statusCode).toBe(400);
    }
    const first = await graph.resources({ query: INVENTORY, options: { top: 1 } });
    const error = await caught(graph.resources({ query: 'resources | order by id asc', options: { skipToken: first.skipToken } }));
    expect(error.statusCode).toBe(400);
    expect(error.details?.error?.details?.[0]?.code).toBe('InvalidSkipToken');
    const scoped = await caught(graph.resources({ query: INVENTORY, subscriptions: [SUB_A], options: { skipToken: first.skipToken } }));
    expect(scoped.statusCode).toBe(400);
  });

  it('answers unparseable KQL with 400 BadRequest / InvalidQuery / ParserFailure', async () => {
    const emulator = await startTestEmulator({ fleet: fleetOf(1) });
    const { graph } = clientsFor(emulator);
    const error = await caught(graph.resources({ query: 'resources\n| mv-expand pool = properties.agentPoolProfiles' }));
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('BadRequest');
    expect(error.message).toMatch(/^Please provide below info when asking for support: timestamp = .+, correlationId = .+\.$/);
    const details = error.details.error.details;
    expect(details[0]).toMatchObject({ code: 'InvalidQuery', message: expect.stringContaining('Query is invalid') });
    expect(details[1]).toMatchObject({ code: 'ParserFailure', message: 'ParserFailure' });
    expect(details[1].additionalProperties).toMatchObject({ line: 2, characterPositionInLine: 2, token: 'mv', expectedToken: 'where' });
  });
});

describe('Resource Graph scope', () => {
  it('covers readable subscriptions only: silent ones contribute nothing, forbidden ones are invisible', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet() });
    const { graph } = clientsFor(emulator);
    const all = await graph.resources({ query: INVENTORY });
    expect((all.data as { name: string }[]).map((r) => r.name).sort()).toEqual(['aks-a1', 'aks-a2', 'aks-b1']);
    const onlyB = await graph.resources({ query: INVENTORY, subscriptions: [SUB_B.toUpperCase()] });
    expect(onlyB.data).toEqual([expect.objectContaining({ name: 'aks-b1', powerState: 'Stopped', subscriptionId: SUB_B })]);
    const silent = await graph.resources({ query: INVENTORY, subscriptions: [SUB_A, SUB_SILENT] });
    expect(silent.totalRecords).toBe(2);
    const subs = await graph.resources({ query: "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project subscriptionId, name | order by subscriptionId asc" });
    expect(subs.data).toEqual([{ subscriptionId: SUB_A, name: 'Subscription A' }, { subscriptionId: SUB_B, name: 'Subscription B' }]);
  });

  it('fails the whole query with 403 AuthorizationFailed when it names a forbidden subscription', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet() });
    const error = await caught(clientsFor(emulator).graph.resources({ query: INVENTORY, subscriptions: [SUB_A, SUB_FORBIDDEN] }));
    expect(error.statusCode).toBe(403);
    expect(error.code).toBe('AuthorizationFailed');
    expect(error.message).toContain(`'Microsoft.ResourceGraph/resources/read' over scope '/subscriptions/${SUB_FORBIDDEN}'`);
  });

  it('returns raw ARM JSON in rows, with lower-case type and the standard columns', async () => {
    const emulator = await startTestEmulator({ fleet: smallFleet() });
    const page = await clientsFor(emulator).graph.resources({ query: "resources | where name == 'aks-a1'" });
    const row = (page.data as Record<string, any>[])[0]!;
    expect(row).toMatchObject({ type: 'microsoft.containerservice/managedclusters', tenantId: TENANT, subscriptionId: SUB_A, resourceGroup: 'rg-test', location: 'westeurope', tags: { env: 'prod' } });
    expect(row.properties.agentPoolProfiles[0]).toMatchObject({ name: 'system', mode: 'System', nodeImageVersion: expect.stringMatching(new RegExp(`^${UBUNTU}-\\d{6}\\.\\d{2}\\.0$`)), enableFIPS: false });
  });
});

describe('Resource Graph quota', () => {
  it('always sends the quota headers and, when enforced, answers 429 with only those headers', async () => {
    const emulator = await startTestEmulator({ fleet: fleetOf(1), argQuota: { limit: 2, windowSeconds: 60 } });
    const post = () => rawFetch(emulator, '/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'resources' }) });
    const first = await post();
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ms-user-quota-remaining')).toBe('1');
    expect(first.headers.get('x-ms-user-quota-resets-after')).toMatch(/^00:01:00|00:00:5\d$/);
    expect((await post()).headers.get('x-ms-user-quota-remaining')).toBe('0');
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeNull();
    expect(limited.headers.get('x-ms-user-quota-remaining')).toBe('0');
    expect(await limited.json()).toMatchObject({ error: { code: 'RateLimiting', details: [{ code: 'RateLimiting' }] } });
    const error = await caught(clientsFor(emulator).graph.resources({ query: 'resources' }));
    expect(error.statusCode).toBe(429); // the SDK does not retry a 429 without Retry-After

    emulator.configure({ argQuota: undefined });
    const relaxed = await post();
    expect(relaxed.status).toBe(200);
    expect(relaxed.headers.get('x-ms-user-quota-remaining')).toBe('14');
  });
});
