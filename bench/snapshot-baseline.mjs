// The bare-SDK baseline: the same Resource Graph pages and the same latest-version calls a snapshot makes,
// results discarded. Prints { seconds, armCalls }.
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { INVENTORY_QUERY, SUBSCRIPTIONS_QUERY } from '../dist/azure/inventory-query.js';
import { toObservations } from '../dist/azure/inventory.js';
import { planLatestImageLookups } from '../dist/domain/latest-image-lookup.js';
import { mapWithConcurrency } from '../dist/lib/concurrency.js';

const credential = { getToken: async () => ({ token: process.env.IMAGEWARDEN_ARM_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) };
const options = { endpoint: process.env.IMAGEWARDEN_ARM_ENDPOINT, retryOptions: { maxRetries: 0 } };
const graph = new ResourceGraphClient(credential, options);
const aks = new Map();
const aksFor = (sub) => aks.get(sub) ?? aks.set(sub, new ContainerServiceClient(credential, sub, options)).get(sub);

async function allRows(query, subscriptions) {
  const rows = [];
  let skipToken;
  do {
    const page = await graph.resources({ query, subscriptions, options: skipToken ? { skipToken } : { top: 1000 } });
    calls++;
    rows.push(...page.data);
    skipToken = page.skipToken;
  } while (skipToken);
  return rows;
}

let calls = 0;
const started = performance.now();
const subscriptions = (await allRows(SUBSCRIPTIONS_QUERY)).map((row) => row.subscriptionId);
const rows = await allRows(INVENTORY_QUERY, subscriptions);
// The same lookups the snapshot makes (the grouping is the snapshot's own plan, so the call count matches).
const pools = rows.flatMap((row) => toObservations(row).pools);
const groups = planLatestImageLookups(pools, 1);
await mapWithConcurrency(groups, 8, async (group) => {
  for (const pool of [group.primary, group.verifier].filter(Boolean)) {
    await aksFor(pool.subscriptionId).agentPools.getUpgradeProfile(pool.resourceGroup, pool.clusterName, pool.poolName);
    calls++;
  }
});
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ seconds, armCalls: calls }));
