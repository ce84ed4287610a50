import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import Type from 'typebox';
import { Compile } from 'typebox/compile';
import { parse as parseYaml } from 'yaml';

/**
 * templates/report.yaml: the wording and section order of the audit reports. It is data a compliance team edits, so
 * it is validated in full at load: a typo in a section id or a placeholder fails start-up instead of leaving a blank
 * or a literal "{asOf}" in a filed report.
 */

/** The sections the renderers know how to draw; each must appear exactly once in the template. */
export const SECTION_IDS = [
  'cover',
  'executive_summary',
  'coverage',
  'trend',
  'image_age',
  'subscriptions',
  'clusters',
  'attention',
  'findings',
  'exceptions',
  'upgrades',
  'node_checks',
  'controls',
  'methodology',
  'evidence',
  'appendix',
] as const;
export type SectionId = (typeof SECTION_IDS)[number];

/** Every placeholder a text may use; the renderers fill each from the report model (see placeholderValues). */
export const PLACEHOLDERS = [
  'reportId',
  'periodLabel',
  'periodFrom',
  'periodTo',
  'asOf',
  'generatedAt',
  'scope',
  'total',
  'ran',
  'scheduled',
  'succeeded',
  'partial',
  'failed',
  'attentionCount',
  'armEndpoint',
  'azureCloud',
  'snapshotSchedule',
  'nodeCheckSchedule',
  'defaultSlaDays',
  'statusDefinitions',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type PlaceholderValues = Readonly<Record<Placeholder, string>>;

const Text = Type.String();
const SectionIdSchema = Type.Enum([...SECTION_IDS]);
const SectionSchema = Type.Object(
  {
    id: SectionIdSchema,
    title: Type.String({ minLength: 1 }),
    intro: Type.Optional(Text),
    none: Type.Optional(Text),
    noGaps: Type.Optional(Text),
  },
  { additionalProperties: false },
);
const StatusDefinitions = Type.Object(
  { current: Text, within_policy: Text, non_compliant: Text, excepted: Text, unknown: Text },
  { additionalProperties: false },
);
const ReportTemplatesSchema = Type.Object(
  {
    title: Type.String({ minLength: 1 }),
    subtitle: Text,
    organisation: Text,
    sections: Type.Array(SectionSchema, { minItems: 1 }),
    limitation: Text,
    statusDefinitions: StatusDefinitions,
    methodology: Type.Array(Type.Object({ title: Type.String({ minLength: 1 }), text: Text }, { additionalProperties: false })),
    controls: Type.Array(
      Type.Object(
        {
          framework: Type.String({ minLength: 1 }),
          control: Type.String({ minLength: 1 }),
          title: Type.String({ minLength: 1 }),
          requirement: Text,
          sections: Type.Array(SectionIdSchema, { minItems: 1 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type ReportTemplates = Type.Static<typeof ReportTemplatesSchema>;
export type SectionTemplate = ReportTemplates['sections'][number];

const checkTemplates = Compile(ReportTemplatesSchema);
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const DEFAULT_DIR = new URL('../../templates/', import.meta.url); // the same relative path from src/ and dist/

export class ReportTemplateError extends Error {
  constructor(file: string, problems: readonly string[]) {
    super(`report template ${file} is invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'ReportTemplateError';
  }
}

/** Reads, parses and validates `report.yaml` from `dir` (default: the shipped templates folder). */
export function loadReportTemplates(dir: URL | string = DEFAULT_DIR): ReportTemplates {
  const folder = typeof dir === 'string' ? pathToFileURL(dir.endsWith('/') ? dir : `${dir}/`) : dir;
  const file = new URL('report.yaml', folder);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ReportTemplateError(file.pathname, [`cannot be read: ${(error as Error).message}`]);
  }
  return parseReportTemplates(text, file.pathname);
}

/** Validates a template document; `source` names it in the error. */
export function parseReportTemplates(text: string, source: string): ReportTemplates {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ReportTemplateError(source, [`not valid YAML: ${(error as Error).message}`]);
  }
  if (!checkTemplates.Check(document)) {
    const problems = [...checkTemplates.Errors(document)].slice(0, 20).map((e) => `${e.instancePath || '/'}: ${e.message}`);
    throw new ReportTemplateError(source, problems);
  }
  const templates = document as ReportTemplates;
  const problems = [...sectionProblems(templates), ...placeholderProblems(templates)];
  if (problems.length > 0) throw new ReportTemplateError(source, problems);
  return templates;
}

function sectionProblems(templates: ReportTemplates): string[] {
  const ids = templates.sections.map((section) => section.id);
  const missing = SECTION_IDS.filter((id) => !ids.includes(id)).map((id) => `section "${id}" is missing from /sections`);
  const twice = ids.filter((id, index) => ids.indexOf(id) !== index).map((id) => `section "${id}" appears more than once in /sections`);
  return [...missing, ...twice];
}

function placeholderProblems(templates: ReportTemplates): string[] {
  const texts: [string, string][] = [
    ['/title', templates.title],
    ['/subtitle', templates.subtitle],
    ['/limitation', templates.limitation],
    ...templates.sections.flatMap((s, i) =>
      (['title', 'intro', 'none', 'noGaps'] as const).flatMap((key): [string, string][] => (s[key] === undefined ? [] : [[`/sections/${i}/${key}`, s[key]]])),
    ),
    ...templates.methodology.map((m, i): [string, string] => [`/methodology/${i}/text`, m.text]),
  ];
  return texts.flatMap(([path, text]) =>
    placeholdersIn(text)
      .filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name))
      .map((name) => `${path}: unknown placeholder {${name}} (known: ${PLACEHOLDERS.join(', ')})`),
  );
}

function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[1]!);
}

/** Replaces each `{name}` in `text`; a name without a value throws rather than print a blank. */
export function fillPlaceholders(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no value for placeholder {${name}}`);
    return value;
  });
}

/** The section template with this id (validation guarantees there is one). */
export function sectionTemplate(templates: ReportTemplates, id: SectionId): SectionTemplate {
  const section = templates.sections.find((s) => s.id === id);
  if (section === undefined) throw new Error(`template has no section "${id}"`);
  return section;
}
