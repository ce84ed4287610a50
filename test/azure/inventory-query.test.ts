import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { INVENTORY_QUERY, SUBSCRIPTIONS_QUERY } from '../../src/azure/inventory-query.js';

interface Diagnostic {
  Severity: string;
  Message: string;
  Start: number;
}
interface KustoGlobal {
  Kusto: { Language: { KustoCode: { Parse(text: string): { GetDiagnostics(): { Count: number; getItem(i: number): Diagnostic } } } } };
}

/** Kusto's own parser (the language service Microsoft ships), loaded as its Bridge.NET scripts expect. */
function kustoDiagnostics(query: string): string[] {
  const require = createRequire(import.meta.url);
  require('@kusto/language-service-next/bridge.min.js');
  require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
  const { Kusto } = globalThis as unknown as KustoGlobal;
  const diagnostics = Kusto.Language.KustoCode.Parse(query).GetDiagnostics();
  return Array.from({ length: diagnostics.Count }, (_, i) => diagnostics.getItem(i)).map((d) => `${d.Severity}: ${d.Message} at ${d.Start}`);
}

describe('Resource Graph queries', () => {
  it.each([
    ['inventory', INVENTORY_QUERY],
    ['subscriptions', SUBSCRIPTIONS_QUERY],
  ])('the %s query parses with no diagnostics in Kusto’s parser', (_name, query) => {
    expect(kustoDiagnostics(query)).toEqual([]);
  });

  it('the parser is not a rubber stamp', () => {
    expect(kustoDiagnostics(`resources | where type =~ | project id`).length).toBeGreaterThan(0);
  });

  it('keep to the shape CONTRACT.md fixes: one row per cluster, id kept, no mv-expand, no take/limit', () => {
    for (const query of [INVENTORY_QUERY, SUBSCRIPTIONS_QUERY]) {
      const code = query.replace(/\/\/.*$/gm, '');
      expect(code).not.toMatch(/mv-expand|\btake\b|\blimit\b/);
      expect(code).toMatch(/\|\s*project\s+id\b/);
      expect(code).toMatch(/order by id asc/);
    }
    expect(INVENTORY_QUERY).toMatch(/agentPoolProfiles = properties\.agentPoolProfiles/);
  });
});
