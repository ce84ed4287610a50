/**
 * Label and field selectors as the API server parses them (apimachinery `labels.Parse`, `fields.ParseSelector`):
 * `k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`; commas join requirements with AND. A `!=` or
 * `notin` requirement also matches objects without the label. Parse errors are the messages of a 400 answer.
 */

type Labels = Record<string, string>;
type Matcher = (labels: Labels) => boolean;

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

export class SelectorError extends Error {}

/** Splits on commas outside parentheses. */
function terms(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      out.push(current);
      current = '';
    } else current += char;
  }
  out.push(current);
  return out.map((term) => term.trim()).filter((term) => term !== '');
}

function checkKey(key: string): string {
  if (!KEY.test(key) || key.length > 316) throw new SelectorError(`unable to parse requirement: invalid label key "${key}"`);
  return key;
}

function checkValue(value: string): string {
  if (!VALUE.test(value) || value.length > 63) throw new SelectorError(`unable to parse requirement: invalid label value: "${value}"`);
  return value;
}

function requirement(term: string): Matcher {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) {
    const key = checkKey(set[1]!);
    const values = set[3]!.split(',').map((value) => checkValue(value.trim()));
    return set[2] === 'in' ? (labels) => key in labels && values.includes(labels[key]!) : (labels) => !(key in labels) || !values.includes(labels[key]!);
  }
  const comparison = /^([^!=\s]+)\s*(==|!=|=)\s*(\S*)$/.exec(term);
  if (comparison) {
    const key = checkKey(comparison[1]!);
    const value = checkValue(comparison[3]!);
    return comparison[2] === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
  }
  if (term.startsWith('!')) {
    const key = checkKey(term.slice(1).trim());
    return (labels) => !(key in labels);
  }
  const key = checkKey(term);
  return (labels) => key in labels;
}

export function parseLabelSelector(selector: string): Matcher {
  const matchers = terms(selector).map(requirement);
  return (labels) => matchers.every((match) => match(labels));
}

/**
 * A field selector over the fields `supported` names (each read from the object as a string; missing = '').
 * Unsupported fields are refused like the API server does.
 */
export function parseFieldSelector(selector: string, supported: Record<string, (object: Record<string, unknown>) => string>): (object: Record<string, unknown>) => boolean {
  const checks = terms(selector).map((term) => {
    const match = /^([^!=\s]+)\s*(==|!=|=)\s*(.*)$/.exec(term);
    if (!match) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${term}'`);
    const [, field = '', operator, value = ''] = match;
    const read = supported[field];
    if (!read) throw new SelectorError(`field label not supported: ${field}`);
    return (object: Record<string, unknown>) => (read(object) === value) === (operator !== '!=');
  });
  return (object) => checks.every((check) => check(object));
}
