import { describe, expect, it } from 'vitest';
import { poolHistoryChanges, type HistoryLatestInterval, type HistoryPoolInterval } from '../../src/domain/pool-history.js';
import { openTestDatabase } from '../helpers/database.js';

const row = (validFrom: number, validTo: number | null, fields: Partial<HistoryPoolInterval> = {}): HistoryPoolInterval => ({
  validFrom,
  validTo,
  subscriptionId: 'sub',
  location: 'westeurope',
  imageFamily: 'fam',
  nodeImageVersion: 'fam-1',
  kubernetesVersion: '1.30.1',
  nodeCount: 3,
  ...fields,
});
const latest = (validFrom: number, validTo: number | null, version: string): HistoryLatestInterval => ({ groupKey: 'sub|westeurope|fam', version, validFrom, validTo });

describe('poolHistoryChanges', () => {
  it('lists the moments an image field changed, not those where only other fields did, and gone and back again', () => {
    const changes = poolHistoryChanges(
      [
        row(1, 4),
        row(4, 6), // another field changed (tags, say): same image fields, no entry
        row(6, 8, { nodeCount: 5 }),
        row(8, 9, { nodeCount: 5, nodeImageVersion: 'fam-2' }),
        row(12, null, { nodeCount: 5, nodeImageVersion: 'fam-2' }),
      ],
      [latest(0, 5, 'fam-1'), latest(5, null, 'fam-2')],
    );
    expect(changes.map((c) => [c.snapshotId, c.change, c.changedFields.join(',')])).toEqual([
      [1, 'appeared', 'nodeImageVersion,latestNodeImageVersion,kubernetesVersion,nodeCount'],
      [5, 'changed', 'latestNodeImageVersion'],
      [6, 'changed', 'nodeCount'],
      [8, 'changed', 'nodeImageVersion'],
      [9, 'deleted', 'nodeImageVersion,latestNodeImageVersion,kubernetesVersion,nodeCount'],
      [12, 'appeared', 'nodeImageVersion,latestNodeImageVersion,kubernetesVersion,nodeCount'],
    ]);
    expect(changes[4]).toMatchObject({ nodeImageVersion: null, latestNodeImageVersion: null, nodeCount: null });
    expect(changes[5]).toMatchObject({ nodeImageVersion: 'fam-2', latestNodeImageVersion: 'fam-2', nodeCount: 5 });
  });

  it('has no latest image for a pool without a parseable image, and no entries without intervals', () => {
    expect(poolHistoryChanges([row(2, null, { imageFamily: null, nodeImageVersion: null })], [latest(1, null, 'fam-1')])).toMatchObject([
      { snapshotId: 2, change: 'appeared', latestNodeImageVersion: null },
    ]);
    expect(poolHistoryChanges([], [latest(1, null, 'fam-1')])).toEqual([]);
  });
});

describe('pool history queries', () => {
  it("read one pool's intervals and its groups' latest images through indexes (40,000 pools × many snapshots)", () => {
    const { db } = openTestDatabase();
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' ');
    expect(plan(`SELECT valid_from, data FROM pool_states WHERE pool_key = 'k' ORDER BY valid_from`)).toMatch(/USING (COVERING )?INDEX pool_states_key \(pool_key=\?\)/);
    expect(
      plan(
        `SELECT version FROM latest_image_states WHERE subscription_id = 's' AND location = 'l' AND image_family = 'f' AND valid_from <= 9 AND (valid_to IS NULL OR valid_to > 1) ORDER BY valid_from`,
      ),
    ).toMatch(/USING INDEX latest_image_states_group \(subscription_id=\? AND location=\? AND image_family=\? AND valid_from<\?\)/);
    db.close();
  });
});
