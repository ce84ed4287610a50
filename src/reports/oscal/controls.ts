import type { ReportHeader } from '../report-schema.js';
import { nonEmpty, plain, prop, slug, token, type Prop } from './text.js';

type MappedControl = ReportHeader['controls'][number];

/** NIST publishes SP 800-53 Rev. 5 as an OSCAL catalog; no other framework the template maps has one. */
export const NIST_CATALOG_HREF =
  'https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog.json';

/**
 * The catalog statement a pool's patch status evidences, where it is narrower than the whole statement:
 * SI-2 item c is "install security-relevant updates within [period] of their release".
 */
const NIST_STATEMENTS: Readonly<Record<string, string>> = { 'si-2': 'si-2_smt.c' };

export interface FindingTarget {
  readonly type: 'statement-id' | 'objective-id';
  readonly 'target-id': string;
  readonly props?: Prop[];
}

/** "SI-2" → "si-2", "SI-2(3)" → "si-2.3" (ids in the NIST catalog); null when not a NIST control. */
export function nistControlId(control: MappedControl): string | null {
  if (!/^NIST SP 800-53\b/i.test(control.framework)) return null;
  const match = /^([A-Za-z]{2})-(\d+)(?:\((\d+)\))?$/.exec(control.control.trim());
  if (!match) return null;
  return `${match[1]!.toLowerCase()}-${Number(match[2])}${match[3] ? `.${Number(match[3])}` : ''}`;
}

/** A mapped control as a property: `control` = its id in the framework, class = the framework as a token. */
function controlProp(control: MappedControl, withTitle = false): Prop | undefined {
  const remarks = withTitle ? plain(`${control.framework} ${control.control}: ${control.title}`) : undefined;
  return prop('control', control.control, { class: token(control.framework), remarks });
}

/**
 * `reviewed-controls` of the assessment results. NIST controls are selected by their catalog ids. Controls of
 * frameworks without an OSCAL catalog (PCI DSS, SOC 2, ISO 27001) cannot be named in include-controls, which must
 * resolve against an imported catalog, so each such framework gets a selection that names its controls in
 * imagewarden properties (`ns` = OSCAL_NS, name `control`, class = the framework as a token).
 */
export function reviewedControls(controls: readonly MappedControl[], nistCatalogUuid: string | null): Record<string, unknown> {
  const nist = controls.filter((c) => nistControlId(c) !== null);
  const others = controls.filter((c) => nistControlId(c) === null);
  const frameworks = [...new Set(others.map((c) => c.framework))];
  const selections: Record<string, unknown>[] = [];
  if (nist.length > 0) {
    selections.push({
      description: 'NIST SP 800-53 Rev. 5 controls, by their ids in the NIST OSCAL catalog.',
      props: nonEmpty([prop('framework', nist[0]!.framework), ...nist.map((c) => controlProp(c, true))]),
      links: nistCatalogUuid ? [{ href: `#${nistCatalogUuid}`, rel: 'reference', text: 'NIST SP 800-53 Rev. 5 catalog (OSCAL)' }] : undefined,
      'include-controls': [...new Set(nist.map((c) => nistControlId(c)!))].map((id) => ({ 'control-id': id })),
    });
  }
  for (const framework of frameworks) {
    const mapped = others.filter((c) => c.framework === framework);
    selections.push({
      description: plain(`${framework}: ${mapped.map((c) => c.control).join(', ')}.`),
      props: nonEmpty([prop('framework', framework), ...mapped.map((c) => controlProp(c, true))]),
      remarks: 'This framework is not published as an OSCAL catalog, so its controls are named by imagewarden properties (`control`, class = framework) instead of include-controls.',
    });
  }
  if (selections.length === 0) selections.push({ description: 'The report template maps no controls.' });
  return {
    description: 'The controls the report template maps to this evidence (templates/report.yaml, section "controls").',
    'control-selections': selections,
  };
}

/**
 * What a finding about a report section fails. The controls that cite the section as evidence are the candidates
 * (the template's `sections`: "attention" is the list of pools out of policy, "coverage" the collection record);
 * when none cites it, all mapped controls are. A NIST control is preferred because its id resolves in a published
 * catalog; otherwise the target is an imagewarden objective id for the first candidate, described by properties.
 */
export function findingTarget(controls: readonly MappedControl[], section: string, fallbackObjective: string): { target: FindingTarget; failed: MappedControl[] } {
  const citing = controls.filter((c) => c.sections.includes(section));
  const failed = citing.length > 0 ? citing : [...controls];
  const nist = failed.find((c) => nistControlId(c) !== null);
  if (nist) {
    const id = nistControlId(nist)!;
    return { target: { type: 'statement-id', 'target-id': NIST_STATEMENTS[id] ?? `${id}_smt` }, failed };
  }
  const first = failed[0];
  if (!first) return { target: { type: 'objective-id', 'target-id': fallbackObjective }, failed };
  return {
    target: {
      type: 'objective-id',
      'target-id': `${token(first.framework)}_${slug(first.control)}`,
      props: nonEmpty([prop('framework', first.framework), prop('control', first.control, { class: token(first.framework) })]),
    },
    failed,
  };
}

/** One `control` property per failed control, for a finding's props. */
export function failedControlProps(failed: readonly MappedControl[]): Prop[] {
  return nonEmpty(failed.map((c) => controlProp(c))) ?? [];
}
