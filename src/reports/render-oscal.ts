import { assessmentResultsDocument } from './oscal/assessment-results.js';
import { writeJson } from './oscal/json-stream.js';
import { poamDocument } from './oscal/poam.js';
import type { ReportModel } from './report-schema.js';

/*
 * OSCAL 1.1.2 exports of the audit report (docs/oscal.md). Both documents are written as they are built: the fixed
 * parts first, then one inventory item, observation, risk and finding (or POA&M item) per pool as `model.pools()`
 * yields it, so memory stays flat whatever the number of pools. No clock and no randomness: UUIDs are name-based,
 * so the same model always gives the same bytes.
 */

/** Writes the report as an OSCAL 1.1.2 `assessment-results` document (2-space indented JSON). Does not end `out`. */
export async function renderOscalAssessmentResults(model: ReportModel, out: NodeJS.WritableStream): Promise<void> {
  await writeJson(out, assessmentResultsDocument(model));
}

/** Writes the report's open items and exceptions as an OSCAL 1.1.2 `plan-of-action-and-milestones`. Does not end `out`. */
export async function renderOscalPoam(model: ReportModel, out: NodeJS.WritableStream): Promise<void> {
  await writeJson(out, poamDocument(model));
}
