import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ensureCertificateAuthority, issueServerCertificate } from '../../src/emulator/certificate-authority.js';
import { integerHex } from '../../src/emulator/der.js';
import { runEmulatorCommand } from '../../src/emulator/emulator-command.js';
import { startEmulator } from '../../src/emulator/index.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'iw-ca-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('certificate authority', () => {
  it('creates a CA once (key 0600), reuses it, also under concurrent callers', async () => {
    const dir = tempDir();
    const [a, b] = await Promise.all([ensureCertificateAuthority(dir), ensureCertificateAuthority(dir)]);
    expect(b.caCertPem).toBe(a.caCertPem);
    expect((await ensureCertificateAuthority(dir)).caKeyPem).toBe(a.caKeyPem);
    expect(statSync(join(dir, 'ca-key.pem')).mode & 0o777).toBe(0o600);
    const ca = new X509Certificate(a.caCertPem);
    expect(ca.ca).toBe(true);
    expect(new Date(ca.validTo).getTime()).toBeGreaterThan(Date.now() + 9 * 365 * 86_400_000);
  });

  it('issues a serverAuth leaf for localhost, 127.0.0.1 and ::1 that chains to the CA', async () => {
    const ca = await ensureCertificateAuthority(tempDir());
    const leaf = new X509Certificate((await issueServerCertificate(ca, ['emulator.test'])).certPem);
    expect(leaf.subjectAltName).toBe('DNS:localhost, DNS:emulator.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(leaf.checkIssued(new X509Certificate(ca.caCertPem))).toBe(true);
    expect(leaf.verify(new X509Certificate(ca.caCertPem).publicKey)).toBe(true);
    expect(leaf.ca).toBe(false);
  });

  it('defaults to the demo fleet and a throw-away CA in a temp dir, removed by close()', async () => {
    const emulator = await startEmulator({});
    try {
      expect(emulator.caFile).toMatch(/imagewarden-emulator-ca-.+\/ca\.pem$/);
      expect(existsSync(emulator.caFile)).toBe(true);
      expect(emulator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(emulator.fleet.listClusterIds().some((id) => id.includes('aks-prod-weu-01'))).toBe(true);
    } finally {
      await emulator.close();
    }
    expect(existsSync(emulator.caFile)).toBe(false);
  });
});

describe('emulator command', () => {
  it('prints {url, caFile, token} as the first stdout line, logs to stderr and closes on SIGTERM', async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const before = new Set([...process.listeners('SIGTERM'), ...process.listeners('SIGINT')]);
    try {
      const emulator = await runEmulatorCommand({ caDir: process.env.IMAGEWARDEN_TEST_CA_DIR });
      const first = String(stdout.mock.calls[0]?.[0]);
      expect(first.endsWith('\n')).toBe(true);
      expect(JSON.parse(first)).toEqual({ url: emulator.url, caFile: emulator.caFile, token: emulator.token });
      expect(stdout).toHaveBeenCalledTimes(1);
      const response = await fetch(`${emulator.url}/subscriptions?api-version=2022-12-01`, { headers: { authorization: `Bearer ${emulator.token}` } });
      expect(((await response.json()) as { value: { displayName: string }[] }).value.map((s) => s.displayName)).toEqual(['Demo Production', 'Demo Development', 'Demo Shared Services']);
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/listening on https:\/\/127\.0\.0\.1:\d+[\s\S]*GET \/subscriptions\?api-version=2022-12-01 -> 200/);
      const added = process.listeners('SIGTERM').filter((l) => !before.has(l));
      expect(added).toHaveLength(1);
      (added[0] as (signal: NodeJS.Signals) => void)('SIGTERM'); // what a real SIGTERM would run
      await emulator.close(); // the same close the handler started
      await expect(fetch(emulator.url)).rejects.toThrow();
    } finally {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        for (const listener of process.listeners(signal)) if (!before.has(listener)) process.removeListener(signal, listener);
      }
      stdout.mockRestore();
      stderr.mockRestore();
    }
  });
});

describe('DER integers', () => {
  it('are minimal: no leading zero bytes, a zero byte only before a set high bit', () => {
    expect(integerHex('00007f').toString('hex')).toBe('02017f');
    expect(integerHex('0080').toString('hex')).toBe('02020080');
    expect(integerHex('ff').toString('hex')).toBe('020200ff');
    expect(integerHex('0000').toString('hex')).toBe('020100');
    expect(integerHex('').toString('hex')).toBe('020100');
  });
});
