import { describe, expect, it } from 'vitest';
import { INVENTORY_QUERY } from '../../src/azure/inventory-query.js';
import { KqlSyntaxError } from '../../src/emulator/kql/kql-lexer.js';
import { evaluateKql } from '../../src/emulator/kql/kql-evaluator.js';
import { parseKql } from '../../src/emulator/kql/kql-parser.js';
import type { KqlTable } from '../../src/emulator/kql/kql-evaluator.js';

/** The service's real inventory query: the emulator must keep running exactly what imagewarden sends. */
const SERVICE_QUERY = INVENTORY_QUERY;

const table: KqlTable = {
  columns: ['id', 'name', 'type', 'subscriptionId', 'resourceGroup', 'location', 'tags', 'properties'],
  rows: [
    {
      id: '/b', name: 'b', type: 'Microsoft.ContainerService/managedClusters', subscriptionId: 's', resourceGroup: 'rg', location: 'x', tags: { env: 'prod' },
      properties: { provisioningState: 'Succeeded', powerState: { code: 'Running' }, kubernetesVersion: '1.32', agentPoolProfiles: [{ name: 'p', count: 3 }] },
    },
    {
      id: '/a', name: 'a', type: 'microsoft.containerservice/managedclusters', subscriptionId: 's', resourceGroup: 'rg', location: 'x', tags: {},
      properties: { provisioningState: 'Failed', autoUpgradeProfile: { upgradeChannel: 'patch' }, count: '7', flag: 'True' },
    },
    { id: '/c', name: 'c', type: 'microsoft.storage/storageaccounts', subscriptionId: 's', resourceGroup: 'rg', location: 'x', tags: null, properties: {} },
  ],
};

const run = (query: string) => evaluateKql(parseKql(query), { resources: table });

function syntaxError(query: string): KqlSyntaxError {
  try {
    run(query);
  } catch (error) {
    if (error instanceof KqlSyntaxError) return error;
    throw error;
  }
  throw new Error('expected a KqlSyntaxError');
}

describe('KQL subset', () => {
  it("runs the service's inventory query with KQL's null and tostring semantics", () => {
    const result = run(SERVICE_QUERY);
    expect(result.truncated).toBe(false);
    expect(result.rows.map((r) => r.id)).toEqual(['/a', '/b']); // =~ is case-insensitive; storage account filtered out
    expect(result.rows[0]).toMatchObject({ provisioningState: 'Failed', powerState: '', upgradeChannel: 'patch', nodeOSUpgradeChannel: '', agentPoolProfiles: null });
    expect(result.rows[1]).toMatchObject({ powerState: 'Running', agentPoolProfiles: [{ name: 'p', count: 3 }], tags: { env: 'prod' } });
    expect(Object.keys(result.rows[0]!)).toEqual(result.columns.map((c) => c.name));
    expect(result.columns.find((c) => c.name === 'powerState')?.type).toBe('string');
    expect(result.columns.find((c) => c.name === 'tags')?.type).toBe('object');
  });

  it('converts with toint/tobool (junk and missing → null) and names unaliased paths a_b_c', () => {
    const result = run("resources | where name == 'a' | project n = toint(properties.count), m = toint(properties.missing), f = tobool(properties.flag), properties.provisioningState, t = tostring(tags)");
    expect(result.rows).toEqual([{ n: 7, m: null, f: true, properties_provisioningState: 'Failed', t: '{}' }]);
    expect(result.columns.map((c) => c.type)).toEqual(['integer', 'integer', 'boolean', 'string', 'string']);
  });

  it("supports ['key'] access, ==/!=/!~, and/or, order by (desc by default, nulls last) and take", () => {
    expect(run("resources | where properties['provisioningState'] == 'Failed' | project id").rows).toEqual([{ id: '/a' }]);
    expect(run("resources | where name != 'a' and type !~ 'MICROSOFT.storage/storageaccounts' | project id").rows).toEqual([{ id: '/b' }]);
    expect(run("resources | where name == 'a' or name == 'c' | order by id | project id").rows).toEqual([{ id: '/c' }, { id: '/a' }]);
    expect(run('resources | project id, s = properties.provisioningState | sort by s desc').rows.map((r) => r.id)).toEqual(['/b', '/a', '/c']);
    expect(run('resources | project id, s = properties.provisioningState | order by s asc').rows.map((r) => r.id)).toEqual(['/c', '/a', '/b']);
    const taken = run('resources | order by id asc | take 2');
    expect(taken.truncated).toBe(true);
    expect(taken.rows.map((r) => r.id)).toEqual(['/a', '/b']);
    expect(run('Resources | limit 1').rows).toHaveLength(1);
  });

  it('rejects anything outside the subset with a position like ARG ParserFailure', () => {
    const mvExpand = syntaxError('resources\n| mv-expand pool = properties.agentPoolProfiles');
    expect(mvExpand).toMatchObject({ code: 'ParserFailure', line: 2, column: 2, token: 'mv' });
    expect(syntaxError("resources | where type = 'x'")).toMatchObject({ code: 'ParserFailure', token: '=', expectedToken: '==' });
    expect(syntaxError('resources | project id,')).toMatchObject({ token: '<EOF>' });
    expect(syntaxError("resources | where name == 'a")).toMatchObject({ code: 'ParserFailure' });
    expect(syntaxError('resources | project x = strcat(name)')).toMatchObject({ code: 'UnknownFunction', token: 'strcat' });
    expect(syntaxError('resources | project id | order by name asc')).toMatchObject({ code: 'FailedToResolveScalarExpression', token: 'name' });
    expect(syntaxError('nosuchtable | take 1')).toMatchObject({ code: 'FailedToResolveTableExpression' });
  });
});
