#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { copyFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { REPORT_FORMATS, type ReportFormat } from './services/report-service.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { DomainError } from './domain/errors.js';
import { isRole, type Role } from './domain/roles.js';
import { toSnapshotResponse } from './http/schemas/snapshot.js';
import { createLogger } from './lib/logger.js';
import { VERSION } from './lib/version.js';
import { createServices } from './services/create-services.js';
import { mkdirSync } from 'node:fs';
import { backupDatabase } from './store/backup.js';
import { restoreDatabase, RestoreRefusedError } from './store/restore.js';
import { checkRestoredDataDir } from './services/restore-check.js';
import { openDatabase, type Db } from './store/database.js';
import { DatabaseTooNewError, migrate } from './store/migrate.js';
import { acquireServeLock, ServeLockedError } from './store/serve-lock.js';
import { PolicyFileError } from './services/policy-file.js';

/** Who runs a local command, as recorded in evidence. */
const cliActor = () => `cli:${safeUser()}`;

/**
 * Runs a command that ends, then exits explicitly: leaving through process.exit skips the heap teardown in which
 * better-sqlite3 12 wrappers can abort Node 24 (see store/database.ts). Errors still reach the handler below.
 */
const finite =
  <A extends unknown[]>(action: (...args: A) => Promise<void>) =>
  async (...args: A): Promise<void> => {
    await action(...args);
    process.exit(process.exitCode ?? 0);
  };

const program = new Command()
  .name('imagewarden')
  .description('Node image compliance evidence for Azure Kubernetes Service')
  .version(VERSION)
  .showHelpAfterError();

program
  .command('serve')
  .description('run the service: API, scheduler, upgrade runner (one per data dir)')
  .action(async () => {
    const { startService } = await import('./main.js');
    // Signals are handled from the first moment: a stop during start-up waits for it, then closes cleanly.
    const starting = startService({ config: loadConfig() });
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`${signal}: shutting down\n`);
      const service = await starting.catch(() => undefined);
      await service?.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
    const service = await starting;
    if (!stopping) process.stderr.write(`imagewarden listening on ${service.url}\n`);
  });

program
  .command('snapshot')
  .description('take one fleet snapshot now; progress on stderr, the snapshot JSON on stdout')
  .action(
    finite(async () => {
      const config = loadConfig();
      await withDatabase(config, async (db) => {
        const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
        const services = createServices({ config, db, logger, recordFindingsAfterSnapshot: false, onProgress: (message) => process.stderr.write(`${message}\n`) });
        const snapshot = await services.snapshotService.run('cli', cliActor());
        await services.ledger.flushWitnesses();
        process.stdout.write(`${JSON.stringify(toSnapshotResponse(snapshot), null, 2)}\n`);
        // 0 only when every subscription was read; partial and failed snapshots are recorded but are not success.
        process.exitCode = snapshot.status === 'succeeded' ? 0 : snapshot.status === 'partial' ? 3 : 1;
      });
    }),
  );

const keys = program.command('keys').description('manage API keys');
keys
  .command('create')
  .description('create an API key; the key alone is the last stdout line')
  .requiredOption('--role <role>', 'auditor | operator | admin', parseRole)
  .requiredOption('--name <name>', 'a unique name for the key')
  .option('--expires <date>', 'expiry date or date-time (UTC)', parseDate)
  .action(
    finite(async (options: { role: Role; name: string; expires?: string }) => {
      await withServices(async (services) => {
        const { key, record } = services.keyService.create({
          name: options.name,
          role: options.role,
          expiresAt: options.expires ?? null,
          actor: cliActor(),
        });
        process.stderr.write(`created ${record.role} key "${record.name}"${record.expiresAt ? ` (expires ${record.expiresAt})` : ''}; it is shown only now\n`);
        process.stdout.write(`${key}\n`);
      });
    }),
  );
keys
  .command('list')
  .description('list API keys (never their secrets)')
  .option('--json', 'print JSON')
  .action(
    finite(async (options: { json?: boolean }) => {
      await withServices(async (services) => {
        const list = services.keyService.list();
        if (options.json) return void process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        for (const key of list) {
          const state = key.revokedAt ? `revoked ${key.revokedAt}` : key.expiresAt ? `expires ${key.expiresAt}` : 'active';
          process.stdout.write(`${key.name}\t${key.role}\t${key.keyPrefix}…\tcreated ${key.createdAt} by ${key.createdBy}\t${state}\n`);
        }
      });
    }),
  );
keys
  .command('revoke')
  .description('revoke an API key')
  .requiredOption('--name <name>', 'the key to revoke')
  .action(
    finite(async (options: { name: string }) => {
      await withServices(async (services) => {
        const record = services.keyService.revoke(options.name, cliActor());
        process.stderr.write(`revoked key "${record.name}" at ${record.revokedAt}\n`);
      });
    }),
  );

program
  .command('report')
  .description('generate a report (every format is stored and recorded in the ledger) and write one format to --out')
  .option('--period <month>', 'a calendar month, YYYY-MM')
  .option('--from <date>', 'first day (YYYY-MM-DD)')
  .option('--to <date>', 'last day, inclusive (YYYY-MM-DD); at most 12 months after --from')
  .option('--scope <scope>', 'a report scope named in the policy file, or a subscription id')
  .requiredOption('--format <format>', 'pdf | json | csv | oscal-ar | oscal-poam', parseFormat)
  .requiredOption('--out <file>', 'where to write the report')
  .action(
    finite(async (options: { period?: string; from?: string; to?: string; scope?: string; format: ReportFormat; out: string }) => {
      await withServices(async (services) => {
        const { reportService } = services;
        const created = reportService.create({ period: options.period, from: options.from, to: options.to, scope: options.scope ?? null }, cliActor());
        process.stderr.write(`report ${created.id}: generating ${created.periodLabel}${created.scope ? ` for ${created.scope}` : ''}\n`);
        const report = await reportService.completion(created.id);
        if (report.status !== 'ready') throw new DomainError('conflict', 'report_failed', `report ${report.id} failed: ${report.error}`);
        const artifact = reportService.artifact(report.id, options.format);
        copyFileSync(artifact.path, options.out);
        for (const a of report.artifacts) process.stderr.write(`  ${a.format.padEnd(10)} ${a.sha256}  ${a.bytes} bytes\n`);
        process.stderr.write(`  population ${report.population!.sha256}  ${report.population!.rows} rows\nwrote ${options.format} to ${options.out} (ledger entry ${report.ledgerSeq})\n`);
      });
    }),
  );

program
  .command('upgrade')
  .description('a client of the running service: start a recorded node-image-only upgrade and follow it live (key from IMAGEWARDEN_API_KEY)')
  .requiredOption('--url <url>', 'the service, e.g. http://127.0.0.1:8080')
  .requiredOption('--cluster <id>', 'the managed cluster ARM id')
  .option('--pool <name>', 'a pool to upgrade (repeatable; default: every pool behind its latest image)', collect, [])
  .requiredOption('--reason <text>', 'why: recorded as evidence')
  .option('--ticket <ref>', 'the change ticket')
  .option('--dry-run', 'show the plan and the pre-checks; start nothing')
  .action(
    finite(async (options: { url: string; cluster: string; pool: string[]; reason: string; ticket?: string; dryRun?: boolean }) => {
      const { runUpgradeCommand } = await import('./upgrade-client.js');
      process.exitCode = await runUpgradeCommand(options, loadConfig().apiKey, (t) => process.stdout.write(t), (t) => process.stderr.write(t));
    }),
  );

program
  .command('verify')
  .description('verify the evidence ledger (or an exported bundle) offline; exit 0 intact, 1 tampered, 2 unreadable')
  .option('--bundle <file>', 'verify an exported bundle instead of the data dir')
  .option('--public-key <key>', 'pin a verifier key (name+id+base64, as GET /api/v1/evidence/public-key gives it); repeatable', collect, [])
  .option('--witness <file>', 'also check the ledger against the checkpoints in this witness file; repeatable', collect, [])
  .option('--json', 'print the full result as JSON on stdout')
  .action(
    finite(async (options: { bundle?: string; publicKey: string[]; witness: string[]; json?: boolean }) => {
      const { runVerify } = await import('./evidence/verify-command.js');
      process.exitCode = await runVerify(options);
    }),
  );

program
  .command('rotate-signing-key')
  .description('replace the evidence signing key (old public keys are kept, each with its validity window)')
  .action(
    finite(async () => {
      const config = loadConfig();
      await withDatabase(config, async (db) => {
        const { rotateSigningKeyFile } = await import('./evidence/rotate-key.js');
        const rotated = await rotateSigningKeyFile(db, config);
        process.stderr.write(`signing key rotated: ${rotated.previous ?? '(none)'} -> ${rotated.next}\n`);
        process.stdout.write(`${rotated.verifierKey}\n`);
      });
    }),
  );

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(
    finite(async () => {
      const config = loadConfig();
      const db = openDatabase(config.databaseFile);
      try {
        const { from, to } = migrate(db);
        process.stderr.write(from === to ? `database is at version ${to}; nothing to do\n` : `migrated database from version ${from} to ${to}\n`);
      } finally {
        db.close();
      }
    }),
  );

program
  .command('backup')
  .description('write a consistent copy of the database while the service runs')
  .requiredOption('--out <file>', 'where to write the copy')
  .action(
    finite(async (options: { out: string }) => {
      const config = loadConfig();
      const db = openDatabase(config.databaseFile, { readonly: true });
      try {
        const result = backupDatabase(db, options.out);
        process.stderr.write(`backup written to ${result.file} (${result.bytes} bytes, schema version ${result.schemaVersion})\n`);
      } finally {
        db.close();
      }
    }),
  );

program
  .command('restore')
  .description('put a backup in place of the database (serve stopped), then migrate and verify it: 0 restored and intact, 1 restored with problems, 2 refused')
  .requiredOption('--from <file>', 'a file written by imagewarden backup')
  .action(
    finite(async (options: { from: string }) => {
      const config = loadConfig();
      mkdirSync(config.dataDir, { recursive: true });
      let lock;
      try {
        lock = acquireServeLock(config.dataDir);
      } catch (error) {
        if (!(error instanceof ServeLockedError)) throw error;
        process.stderr.write(`imagewarden restore: ${error.message}; stop it first\n`);
        process.exitCode = 2;
        return;
      }
      try {
        const restored = restoreDatabase(config.databaseFile, options.from, new Date());
        process.stderr.write(`restored ${options.from} (schema version ${restored.schemaVersion})${restored.previous ? `; the database it replaced is kept as ${restored.previous}` : ''}\n`);
        const problems = checkRestoredDataDir(config);
        for (const problem of problems) process.stderr.write(`  problem: ${problem}\n`);
        process.stderr.write(problems.length === 0 ? 'the evidence ledger verifies, the signing key matches and every stored report is present\n' : 'restored, with the problems above\n');
        process.exitCode = problems.length === 0 ? 0 : 1;
      } catch (error) {
        if (!(error instanceof RestoreRefusedError)) throw error;
        process.stderr.write(`imagewarden restore: refused, nothing changed: ${error.message}\n`);
        process.exitCode = 2;
      } finally {
        lock.release();
      }
    }),
  );

program
  .command('emulator')
  .description('run the ARM emulator alone; first stdout line is JSON { url, caFile, token }')
  .option('--fleet <file>', 'fleet file (JSON); default: the built-in demo fleet')
  .option('--faults <file>', 'fault plan (JSON)')
  .option('--port <n>', 'port to listen on (default: a free one)', parsePort)
  .action(async (options: { fleet?: string; faults?: string; port?: number }) => {
    const { runEmulatorCommand } = await import('./emulator/emulator-command.js');
    await runEmulatorCommand(options);
  });

program
  .command('demo')
  .description('start the emulator with the demo fleet and the service against it (what `npm run demo` runs)')
  .action(async () => {
    const { runDemo } = await import('./demo.js');
    await runDemo();
  });

async function withDatabase(config: Config, work: (db: Db) => Promise<void>): Promise<void> {
  const db = openDatabase(config.databaseFile);
  try {
    migrate(db);
    await work(db);
  } finally {
    db.close();
  }
}

async function withServices(work: (services: ReturnType<typeof createServices>) => Promise<void>): Promise<void> {
  const config = loadConfig();
  await withDatabase(config, async (db) => {
    const services = createServices({ config, db, logger: createLogger('warn') });
    await work(services);
    await services.ledger.flushWitnesses();
  });
}

function parseFormat(value: string): ReportFormat {
  if (!(REPORT_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${REPORT_FORMATS.join(', ')}`);
  return value as ReportFormat;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function parseRole(value: string): Role {
  if (!isRole(value)) throw new InvalidArgumentError('expected auditor, operator or admin');
  return value;
}

function parseDate(value: string): string {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected a date (YYYY-MM-DD) or an ISO 8601 date-time');
  return date.toISOString();
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('expected a port number');
  return port;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

program.parseAsync(process.argv).catch((error: unknown) => {
  const known = error instanceof ConfigError || error instanceof DomainError || error instanceof ServeLockedError || error instanceof DatabaseTooNewError || error instanceof PolicyFileError;
  process.stderr.write(`imagewarden: ${known ? (error as Error).message : (error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
