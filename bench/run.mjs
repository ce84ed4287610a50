// npm run bench: every benchmark under bench/, each printing its figures against a baseline from the same run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv[2];
let failed = 0;
for (const name of readdirSync(dir).filter((f) => /^[a-z0-9-]+\.bench\.mjs$/.test(f)).sort()) {
  if (only && !name.startsWith(only)) continue;
  process.stdout.write(`\n## ${name.replace('.bench.mjs', '')}\n`);
  const result = spawnSync(process.execPath, ['--expose-gc', `${dir}${name}`], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
