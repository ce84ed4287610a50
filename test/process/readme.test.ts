import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { exitOf } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The ```sh block that follows a heading of the README. */
function shellBlockAfter(heading: string): string {
  const section = README.slice(README.indexOf(heading));
  return /```sh\n([\s\S]*?)```/.exec(section)![1]!;
}

describe('the README, run as written', () => {
  it('`npm run demo` starts the emulator and the service, takes a snapshot and prints the URL and a key per role', async () => {
    const work = tempDir();
    const demo = spawn('npm', ['run', 'demo'], {
      cwd: ROOT,
      env: { ...process.env, IMAGEWARDEN_DATA_DIR: join(work, 'data'), IMAGEWARDEN_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    demo.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    try {
      const demoFile = join(work, 'data', 'demo.json');
      const deadline = Date.now() + 90_000;
      while (!/Ctrl-C stops the demo/.test(stdout)) {
        if (Date.now() > deadline || demo.exitCode !== null) throw new Error(`demo did not come up:\n${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(existsSync(demoFile)).toBe(true);
      const { url, keys } = JSON.parse(readFileSync(demoFile, 'utf8')) as { url: string; keys: Record<'auditor' | 'operator' | 'admin', string> };
      expect(stdout).toContain(url);
      for (const key of Object.values(keys)) expect(stdout).toContain(key);
      expect(stdout).toMatch(/DEMO DATA/);

      // The quick start's curl example, as written, from the folder that holds data/.
      const pools = execFileSync('bash', ['-euc', shellBlockAfter('The demo writes')], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const items = (JSON.parse(pools) as { items: { nodeImageVersion: string | null; clusterId: string }[] }).items;
      expect(items.length).toBeGreaterThan(10);
      // The API section's drift examples, as written.
      const drift = execFileSync('bash', ['-euc', shellBlockAfter('never makes an older base image current')], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(drift).toMatch(/"compliancePercent":/);
      expect(drift).toMatch(/"status":"non_compliant"/);
      // The exceptions walk-through and the findings examples, as written.
      const exceptions = execFileSync('bash', ['-euc', shellBlockAfter('### Exceptions')], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(exceptions).toMatch(/"state":"approved"/);
      expect(exceptions).toMatch(/"status":"excepted"/);
      expect(exceptions).toMatch(/"state":"revoked"/);
      const findings = execFileSync('bash', ['-euc', shellBlockAfter('### Findings')], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(findings).toMatch(/"kind":"sla_breach"/);
      expect(findings).toMatch(/"statistics":/);
      // The reports walk-through: the PDF downloaded hashes to the digest the API (and the ledger) recorded.
      const reports = execFileSync('bash', ['-euc', shellBlockAfter('### Reports')], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const [pdfSha, recordedSha] = [/^([0-9a-f]{64})  report\.pdf$/m.exec(reports)?.[1], /^([0-9a-f]{64})$/m.exec(reports)?.[1]];
      expect(pdfSha).toBeDefined();
      expect(pdfSha).toBe(recordedSha);
      expect(reports).toMatch(/"method":"Each data row/);
      expect(reports).toMatch(/^id,question,answer/m);
      // The evidence walk-through: verified live, exported, verified offline against the published key.
      const evidence = execFileSync('bash', ['-euc', shellBlockAfter('### Evidence ledger').replaceAll('dist/cli.js', join(ROOT, 'dist', 'cli.js'))], {
        cwd: work,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(evidence).toMatch(/"intact":true/);
      // The upgrades walk-through: a dry run, then a recorded run followed live to its end by the CLI client.
      const upgrades = execFileSync('bash', ['-euc', shellBlockAfter('### Upgrades').replaceAll('dist/cli.js', join(ROOT, 'dist', 'cli.js'))], {
        cwd: work,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 90_000,
      });
      expect(upgrades).toMatch(/"dryRun":true/);
      expect(JSON.parse(upgrades.trim().split('\n').at(-1)!)).toMatchObject({ status: 'succeeded', lastEvent: 'completed' });
      const clusters = await (await fetch(`${url}/api/v1/clusters`, { headers: { authorization: `Bearer ${keys.auditor}` } })).json();
      for (const cluster of (clusters as { items: { tags: Record<string, string> }[] }).items) {
        expect(cluster.tags['imagewarden-demo']).toBe('true');
      }
      const asAuditor = await fetch(`${url}/api/v1/snapshots`, { method: 'POST', headers: { authorization: `Bearer ${keys.auditor}` } });
      expect(asAuditor.status).toBe(403);
      const asOperator = await fetch(`${url}/api/v1/snapshots`, { method: 'POST', headers: { authorization: `Bearer ${keys.operator}` } });
      expect(asOperator.status).toBe(202);
      const asAdmin = await fetch(`${url}/api/v1/keys`, { headers: { authorization: `Bearer ${keys.admin}` } });
      expect(asAdmin.status).toBe(200);
    } finally {
      process.kill(-demo.pid!, 'SIGINT');
      await exitOf(demo);
    }
  }, 240_000);

  it('the emulator walk-through takes a snapshot against the emulator', () => {
    const work = tempDir();
    const port = String(20_000 + Math.floor(Math.random() * 20_000));
    const script = shellBlockAfter('## The ARM emulator')
      .replace(/^npm run build\n/m, '') // `npm test` has just built dist/
      .replaceAll('dist/cli.js', join(ROOT, 'dist', 'cli.js'))
      .replaceAll('8443', port);
    const output = execFileSync('bash', ['-euc', `${script}\nkill %1`], {
      cwd: work,
      env: { ...process.env, IMAGEWARDEN_DATA_DIR: join(work, 'data') },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(JSON.parse(output)).toMatchObject({ status: 'succeeded', trigger: 'cli' });
  }, 60_000);
});
