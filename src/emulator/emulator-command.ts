import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from './index.js';
import type { RunningEmulator } from './types.js';

export interface EmulatorCommandOptions {
  fleet?: string;
  faults?: string;
  port?: number;
  caDir?: string;
}

/**
 * `imagewarden emulator [--fleet FILE] [--faults FILE] [--port N]`: runs the emulator in the foreground.
 * The FIRST stdout line is `{"url","caFile","token"}` (scripts read it); everything else goes to stderr.
 * The CA lives in a stable per-user directory by default, so NODE_EXTRA_CA_CERTS can be set once.
 */
export async function runEmulatorCommand(opts: EmulatorCommandOptions): Promise<RunningEmulator> {
  const caDir = opts.caDir ?? join(tmpdir(), `imagewarden-emulator-ca-${safeUser()}`);
  const log = (line: string): void => {
    process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  };
  const emulator = await startEmulator({ fleet: opts.fleet, faults: opts.faults, port: opts.port ?? 0, caDir, log });
  process.stdout.write(`${JSON.stringify({ url: emulator.url, caFile: emulator.caFile, token: emulator.token })}\n`);
  log(`imagewarden ARM emulator listening on ${emulator.url} (fleet: ${opts.fleet ?? 'built-in DEMO fleet'})`);
  log(`trust its CA with NODE_EXTRA_CA_CERTS=${emulator.caFile}; Ctrl-C stops it`);
  log(`clusters' Kubernetes API servers on ${emulator.kubernetesUrl} (own CA ${emulator.kubernetesCaFile}; kubeconfigs from listClusterUserCredential)`);

  const stop = (signal: NodeJS.Signals): void => {
    log(`${signal}: closing`);
    void emulator.close().then(() => {
      process.exitCode = 0;
    });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return emulator;
}

function safeUser(): string {
  try {
    return userInfo().username.replace(/[^A-Za-z0-9_-]/g, '_');
  } catch {
    return String(process.getuid?.() ?? 'user');
  }
}
