import { write } from './render-csv.js';
import type { ReportModel } from './report-schema.js';

/**
 * The JSON report: the header's fields in model order, then `pools` streamed one element at a time, so a
 * 40,000-pool report is never one string in memory. Output is deterministic: same model, same bytes.
 */
export async function renderJsonReport(model: ReportModel, out: NodeJS.WritableStream): Promise<void> {
  const header = JSON.stringify(model.header, null, 2);
  // Reopen the header object to append the pools array as its last member.
  await write(out, `${header.slice(0, header.lastIndexOf('}')).trimEnd()},\n  "pools": [`);
  let first = true;
  for (const pool of model.pools()) {
    await write(out, `${first ? '' : ','}\n    ${JSON.stringify(pool)}`);
    first = false;
  }
  await write(out, `${first ? '' : '\n  '}]\n}\n`);
}
