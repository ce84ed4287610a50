// One complete imagewarden snapshot in this process, as `imagewarden snapshot` takes it.
// Prints { seconds, pools, armCalls, peakRssMB, bytesAdded, status }.
import pino from 'pino';
import { loadConfig } from '../dist/config.js';
import { createServices } from '../dist/services/create-services.js';
import { openDatabase } from '../dist/store/database.js';
import { migrate } from '../dist/store/migrate.js';

const config = loadConfig();
const db = openDatabase(config.databaseFile);
migrate(db);
const size = () => {
  db.pragma('wal_checkpoint(TRUNCATE)');
  return db.pragma('page_count', { simple: true }) * db.pragma('page_size', { simple: true });
};
const before = size();
// As `imagewarden snapshot` does: finding transitions are left to serve's next look.
const services = createServices({ config, db, logger: pino({ level: 'warn' }, pino.destination(2)), recordFindingsAfterSnapshot: false });
const started = performance.now();
const snapshot = await services.snapshotService.run('cli', 'bench');
const seconds = (performance.now() - started) / 1000;
const bytesAdded = size() - before;
db.close();
console.log(
  JSON.stringify({
    seconds,
    status: snapshot.status,
    pools: snapshot.poolCount,
    armCalls: snapshot.armCalls,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    bytesAdded,
  }),
);
process.exit(0);
