import { describe, expect, it } from 'vitest';
import { createServices } from '../../src/services/create-services.js';
import { startTestEmulator } from '../helpers/emulator.js';
import { cluster, pool, SUB_1, TENANT, UBUNTU } from '../helpers/fleets.js';
import { createTestServices, FAST_RETRY, silentLogger, testConfig } from '../helpers/service.js';

describe('ledger verification in a worker thread (serve)', () => {
  it('answers exactly what verifying in this thread answers, intact or broken, and reports it to the gauge', async () => {
    const emulator = await startTestEmulator({
      tenantId: TENANT,
      images: { '*': { [UBUNTU]: `${UBUNTU}-202611.01.0` } },
      subscriptions: [{ id: SUB_1, clusters: [cluster('aks-pay', [pool('system', { nodeImageVersion: `${UBUNTU}-202609.01.0` })])] }],
    });
    const config = testConfig(emulator);
    const { db, services } = createTestServices(config);
    await services.snapshotService.run('cli', 'test');
    services.keyService.create({ name: 'alice', role: 'admin', expiresAt: null, actor: 'test' });
    services.recordFindings({ force: true });
    const inWorkers = createServices({ config, db, logger: silentLogger, heavyReadsInWorkers: true, snapshotOptions: { retryPolicy: FAST_RETRY } });

    const here = services.evidence.verify();
    expect(here.intact).toBe(true);
    expect(here.entries).toBeGreaterThan(2);
    expect(await inWorkers.evidence.verifyInBackground()).toEqual(here);
    // Callers while one runs share it: an auditor pressing verify ten times starts one worker.
    let started = 0;
    const count = () => started++;
    process.on('worker', count);
    const answers = await Promise.all(Array.from({ length: 10 }, () => inWorkers.evidence.verifyInBackground()));
    process.off('worker', count);
    expect(started).toBe(1);
    for (const answer of answers) expect(answer).toEqual(here);
    expect(await inWorkers.metrics.render()).toMatch(/^imagewarden_ledger_verified 1$/m);

    // A changed observation row: both find the same break (the worker reads the file, not this connection's cache).
    db.exec('DROP TRIGGER pool_states_close_only');
    db.prepare("UPDATE pool_states SET data = json_set(data, '$.nodeImageVersion', 'AKSUbuntu-2204gen2containerd-202611.01.0') WHERE rowid = (SELECT min(rowid) FROM pool_states)").run();
    const broken = services.evidence.verify();
    expect(broken.intact).toBe(false);
    expect(await inWorkers.evidence.verifyInBackground()).toEqual(broken);
    expect(await inWorkers.metrics.render()).toMatch(/^imagewarden_ledger_verified 0$/m);
    db.close();
  });
});
