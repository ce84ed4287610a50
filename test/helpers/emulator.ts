import { afterEach } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import type { EmulatorOptions, FleetFile, RunningEmulator } from '../../src/emulator/types.js';

const running: RunningEmulator[] = [];

/** An emulator trusted by this worker (its CA is the run's, see global-setup.ts); closed after the test. */
export async function startTestEmulator(fleet: FleetFile, options: Partial<EmulatorOptions> = {}): Promise<RunningEmulator> {
  const caDir = process.env.IMAGEWARDEN_TEST_CA_DIR;
  if (!caDir) throw new Error('IMAGEWARDEN_TEST_CA_DIR is not set: run the tests through vitest (global setup)');
  const emulator = await startEmulator({ fleet, caDir, upgradeDurationMs: 200, ...options });
  running.push(emulator);
  return emulator;
}

afterEach(async () => {
  while (running.length > 0) await running.pop()!.close();
});
