import { KqlSyntaxError } from './kql-lexer.js';
import type { Condition, Expr, KqlQuery, Operator } from './kql-parser.js';

/**
 * Runs a parsed query over in-memory rows with KQL semantics where they matter to a client:
 * a path to a missing value is null, tostring(null) is "", toint of junk is null, `order by` defaults to desc
 * (nulls first when ascending, last when descending), and `take`/`limit` mark the result truncated.
 */

export type Row = Record<string, unknown>;
export type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'datetime';

export interface KqlTable {
  columns: string[];
  rows: Row[];
}

export interface KqlResult {
  columns: { name: string; type: ColumnType }[];
  rows: Row[];
  /** True when the query used take/limit: ARG then answers resultTruncated "true" and no $skipToken. */
  truncated: boolean;
}

interface Schema {
  names: string[];
  declared: Map<string, ColumnType>;
}

const CALL_TYPES: Record<string, ColumnType> = {
  tostring: 'string', toint: 'integer', tolong: 'integer', tobool: 'boolean', toboolean: 'boolean', toreal: 'number', todouble: 'number',
};

export function evaluateKql(query: KqlQuery, tables: Record<string, KqlTable>): KqlResult {
  const tableName = Object.keys(tables).find((name) => name.toLowerCase() === query.table.toLowerCase());
  const table = tableName ? tables[tableName] : undefined;
  if (!table) {
    const t = query.tableToken;
    throw new KqlSyntaxError(`'${t.text}' operator: Failed to resolve table or column expression named '${t.text}'`, t.line, t.column, t.text, '<table>', 'FailedToResolveTableExpression');
  }
  let rows = table.rows;
  let schema: Schema = { names: [...table.columns], declared: new Map() };
  let truncated = false;
  for (const op of query.operators) {
    ({ rows, schema } = apply(op, rows, schema));
    if (op.kind === 'take') truncated = true;
  }
  const columns = schema.names.map((name) => ({ name, type: schema.declared.get(name) ?? inferType(rows, name) }));
  return { columns, rows, truncated };
}

function apply(op: Operator, rows: Row[], schema: Schema): { rows: Row[]; schema: Schema } {
  switch (op.kind) {
    case 'where':
      checkCondition(op.condition, schema);
      return { rows: rows.filter((row) => test(op.condition, row)), schema };
    case 'take':
      return { rows: rows.slice(0, op.count), schema };
    case 'order': {
      for (const key of op.keys) check(key.expr, schema);
      const sorted = [...rows].sort((a, b) => {
        for (const key of op.keys) {
          const result = compareValues(evaluate(key.expr, a), evaluate(key.expr, b), key.direction);
          if (result !== 0) return result;
        }
        return 0;
      });
      return { rows: sorted, schema };
    }
    case 'project': {
      const names: string[] = [];
      const declared = new Map<string, ColumnType>();
      op.items.forEach((item, index) => {
        check(item.expr, schema);
        let name = item.name || autoName(item.expr, index);
        for (let n = 1; names.includes(name); n++) name = `${item.name || autoName(item.expr, index)}${n}`;
        names.push(name);
        const type = item.expr.kind === 'call' ? CALL_TYPES[item.expr.fn] : undefined;
        if (type) declared.set(name, type);
        else if (item.expr.kind === 'path' && item.expr.steps.length === 0 && schema.declared.has(item.expr.root)) {
          declared.set(name, schema.declared.get(item.expr.root)!);
        }
      });
      const projected = rows.map((row) => {
        const out: Row = {};
        op.items.forEach((item, index) => (out[names[index]!] = evaluate(item.expr, row)));
        return out;
      });
      return { rows: projected, schema: { names, declared } };
    }
  }
}

/** KQL names an unaliased `a.b.c` column `a_b_c`; other expressions get `ColumnN`. */
function autoName(expr: Expr, index: number): string {
  if (expr.kind === 'path') return [expr.root, ...expr.steps.map(String)].join('_');
  return `Column${index + 1}`;
}

function check(expr: Expr, schema: Schema): void {
  if (expr.kind === 'call') return check(expr.arg, schema);
  if (expr.kind === 'path' && !schema.names.includes(expr.root)) {
    const t = expr.token;
    throw new KqlSyntaxError(`Failed to resolve scalar expression named '${expr.root}'`, t.line, t.column, t.text, '<column>', 'FailedToResolveScalarExpression');
  }
}

function checkCondition(condition: Condition, schema: Schema): void {
  if (condition.kind !== 'compare') return condition.items.forEach((item) => checkCondition(item, schema));
  check(condition.left, schema);
  check(condition.right, schema);
}

export function evaluate(expr: Expr, row: Row): unknown {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'path': {
      let value: unknown = row[expr.root];
      for (const step of expr.steps) {
        if (value === null || typeof value !== 'object') return null;
        value = (value as Record<string | number, unknown>)[step];
      }
      return value === undefined ? null : value;
    }
    case 'call':
      return convert(expr.fn, evaluate(expr.arg, row));
  }
}

function convert(fn: string, value: unknown): unknown {
  switch (fn) {
    case 'tostring':
      if (value === null || value === undefined) return '';
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'toint':
    case 'tolong': {
      if (typeof value === 'boolean') return value ? 1 : 0;
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*[-+]?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
      return Number.isFinite(n) ? Math.trunc(n) : null;
    }
    case 'toreal':
    case 'todouble': {
      const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      return Number.isFinite(n) ? n : null;
    }
    default: // tobool / toboolean
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value !== 0;
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
      return null;
  }
}

function test(condition: Condition, row: Row): boolean {
  if (condition.kind !== 'compare') {
    const matches = (item: Condition): boolean => test(item, row);
    return condition.kind === 'and' ? condition.items.every(matches) : condition.items.some(matches);
  }
  const left = evaluate(condition.left, row);
  const right = evaluate(condition.right, row);
  const insensitive = condition.op === '=~' || condition.op === '!~';
  let equal: boolean;
  if (left === null || right === null) equal = left === right;
  else if (typeof left === 'string' || typeof right === 'string' || insensitive) {
    const l = typeof left === 'object' ? JSON.stringify(left) : String(left);
    const r = typeof right === 'object' ? JSON.stringify(right) : String(right);
    equal = insensitive ? l.toLowerCase() === r.toLowerCase() : l === r;
  } else equal = left === right;
  return condition.op.startsWith('!') ? !equal : equal;
}

function compareValues(a: unknown, b: unknown, direction: 'asc' | 'desc'): number {
  const sign = direction === 'asc' ? 1 : -1;
  if (a === null || b === null) {
    if (a === b) return 0;
    return a === null ? -sign : sign; // nulls sort as the smallest value: first when asc, last when desc
  }
  if (typeof a === 'number' && typeof b === 'number') return (a - b) * sign;
  const x = typeof a === 'object' ? JSON.stringify(a) : String(a);
  const y = typeof b === 'object' ? JSON.stringify(b) : String(b);
  return (x < y ? -1 : x > y ? 1 : 0) * sign; // ordinal, like Kusto's default string order
}

function inferType(rows: Row[], name: string): ColumnType {
  for (const row of rows) {
    const value = row[name];
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') return 'string';
    if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
    if (typeof value === 'boolean') return 'boolean';
    return 'object';
  }
  return 'object';
}
