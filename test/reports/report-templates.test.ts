import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SECTION_IDS, fillPlaceholders, loadReportTemplates, parseReportTemplates } from '../../src/reports/report-templates.js';
import { tempDir } from '../helpers/temp-dir.js';

const shipped = readFileSync(new URL('../../templates/report.yaml', import.meta.url), 'utf8');

describe('report templates', () => {
  it('loads the shipped templates with every section, in the order of the file', () => {
    const templates = loadReportTemplates();
    expect(templates.sections.map((s) => s.id)).toEqual([...SECTION_IDS]);
    expect(templates.title).toBe('Node image patch compliance report');
    expect(templates.statusDefinitions.unknown).toContain('Never counted as compliant');
  });

  it('loads from a folder given as a path', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'report.yaml'), shipped.replace('title: Node image patch compliance report', 'title: Patch report'));
    expect(loadReportTemplates(dir).title).toBe('Patch report');
  });

  it('rejects an unknown placeholder, naming it and where it is', () => {
    const text = shipped.replace('Figures at period end are taken at {asOf}.', 'Figures at period end are taken at {asOff}.');
    expect(() => parseReportTemplates(text, 'report.yaml')).toThrow(/\/sections\/1\/intro: unknown placeholder \{asOff\}/);
  });

  it('rejects a missing section', () => {
    const text = shipped.replace(/  - id: upgrades\n(    .*\n)+/, '');
    expect(text).not.toContain('id: upgrades');
    expect(() => parseReportTemplates(text, 'report.yaml')).toThrow(/section "upgrades" is missing from \/sections/);
  });

  it('rejects a section given twice and a section id the renderers do not know', () => {
    const twice = shipped.replace('  - id: subscriptions\n', '  - id: clusters\n');
    expect(() => parseReportTemplates(twice, 'report.yaml')).toThrow(/section "clusters" appears more than once/);
    const unknown = shipped.replace('  - id: subscriptions\n', '  - id: subscription_table\n');
    expect(() => parseReportTemplates(unknown, 'report.yaml')).toThrow(/report template report.yaml is invalid/);
  });

  it('rejects text that is not YAML and a file that cannot be read', () => {
    expect(() => parseReportTemplates('title: [unclosed', 'x.yaml')).toThrow(/not valid YAML/);
    expect(() => loadReportTemplates(tempDir())).toThrow(/cannot be read/);
  });

  it('fills placeholders and refuses one without a value', () => {
    expect(fillPlaceholders('{ran} of {scheduled} ran; {literal braces', { ran: '3', scheduled: '4' })).toBe('3 of 4 ran; {literal braces');
    expect(() => fillPlaceholders('at {asOf}', {})).toThrow(/no value for placeholder \{asOf\}/);
  });
});
