import type { ArtifactDigest, ReportHeader, ReportModel } from '../report-schema.js';
import { fillPlaceholders, type PlaceholderValues, type ReportTemplates, type SectionId, type SectionTemplate } from '../report-templates.js';
import { paragraph, type Doc } from './layout.js';

/** What every section drawer receives. */
export interface SectionContext {
  readonly doc: Doc;
  readonly model: ReportModel;
  readonly header: ReportHeader;
  readonly artifacts: readonly ArtifactDigest[];
  readonly templates: ReportTemplates;
  readonly section: SectionTemplate;
  /** The section's number in the report (the cover has none). */
  readonly number: number | null;
  readonly values: PlaceholderValues;
  /** Numbered title of each section, for the control mapping's cross-references. */
  readonly titles: ReadonlyMap<SectionId, string>;
  /** Lets the piped output drain; tables await it at each page break. */
  readonly relieve: () => Promise<void>;
}

export type SectionDrawer = (context: SectionContext) => void | Promise<void>;

/** Prints the section's template text `key` (intro, none, …) with its placeholders filled; nothing if it has none. */
export function templateText(context: SectionContext, key: 'intro' | 'none' | 'noGaps'): void {
  const text = context.section[key];
  if (text !== undefined && text.trim() !== '') paragraph(context.doc, fillPlaceholders(text, context.values));
}
