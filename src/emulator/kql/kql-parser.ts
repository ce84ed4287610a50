import { KqlSyntaxError, tokenize } from './kql-lexer.js';
import type { Token } from './kql-lexer.js';

/**
 * Parser for the KQL subset of docs/emulator.md: `table | where | project | order by | sort by | take | limit`.
 * Anything else is a KqlSyntaxError, which the Resource Graph handler turns into ARG's 400 InvalidQuery.
 */

export type PathStep = string | number;

export type Expr =
  | { kind: 'path'; root: string; steps: PathStep[]; token: Token }
  | { kind: 'call'; fn: string; arg: Expr; token: Token }
  | { kind: 'literal'; value: string | number | boolean | null; token: Token };

export type CompareOp = '==' | '=~' | '!=' | '!~';

export type Condition =
  | { kind: 'compare'; left: Expr; op: CompareOp; right: Expr }
  | { kind: 'and' | 'or'; items: Condition[] };

export interface ProjectItem {
  name: string;
  expr: Expr;
}

export type Operator =
  | { kind: 'where'; condition: Condition }
  | { kind: 'project'; items: ProjectItem[] }
  | { kind: 'order'; keys: { expr: Expr; direction: 'asc' | 'desc' }[] }
  | { kind: 'take'; count: number };

export interface KqlQuery {
  table: string;
  tableToken: Token;
  operators: Operator[];
}

export const FUNCTIONS = new Set(['tostring', 'toint', 'tolong', 'tobool', 'toboolean', 'toreal', 'todouble']);
const COMPARE_OPS = new Set(['==', '=~', '!=', '!~']);

function literalValue(token: Token): string | number | boolean | null | undefined {
  if (token.kind === 'string') return token.text;
  if (token.kind === 'number') return Number(token.text);
  if (token.kind !== 'identifier') return undefined;
  if (token.text === 'true' || token.text === 'false') return token.text === 'true';
  return token.text === 'null' ? null : undefined;
}

export function parseKql(query: string): KqlQuery {
  const tokens = tokenize(query);
  let pos = 0;
  const peek = (offset = 0): Token => tokens[Math.min(pos + offset, tokens.length - 1)]!;
  const next = (): Token => tokens[Math.min(pos++, tokens.length - 1)]!;
  const fail = (token: Token, expected: string): never => {
    throw new KqlSyntaxError(`Unexpected token '${token.text}'`, token.line, token.column, token.text, expected);
  };
  const expect = (text: string): Token => (peek().text === text && peek().kind !== 'string' ? next() : fail(peek(), text));
  const identifier = (): Token => (peek().kind === 'identifier' ? next() : fail(peek(), '<identifier>'));
  /** Consumes the keyword or symbol `text` when it is next (never a string literal with that value). */
  const accept = (text: string): boolean => {
    if (peek().text !== text || peek().kind === 'string') return false;
    next();
    return true;
  };

  function expression(): Expr {
    const literal = literalValue(peek());
    if (literal !== undefined) return { kind: 'literal', value: literal, token: next() };
    const root = identifier();
    if (accept('(')) {
      if (!FUNCTIONS.has(root.text)) {
        throw new KqlSyntaxError(`Unknown function: '${root.text}'`, root.line, root.column, root.text, '<function>', 'UnknownFunction');
      }
      const arg = expression();
      expect(')');
      return { kind: 'call', fn: root.text, arg, token: root };
    }
    const steps: PathStep[] = [];
    for (;;) {
      if (accept('.')) {
        steps.push(identifier().text);
      } else if (accept('[')) {
        const key = next();
        if (key.kind === 'string') steps.push(key.text);
        else if (key.kind === 'number' && /^\d+$/.test(key.text)) steps.push(Number(key.text));
        else fail(key, '<string or index>');
        expect(']');
      } else {
        return { kind: 'path', root: root.text, steps, token: root };
      }
    }
  }

  function comparison(): Condition {
    const left = expression();
    const op = peek();
    if (op.kind !== 'symbol' || !COMPARE_OPS.has(op.text)) fail(op, '==');
    next();
    return { kind: 'compare', left, op: op.text as CompareOp, right: expression() };
  }

  function conjunction(): Condition {
    const items = [comparison()];
    while (accept('and')) items.push(comparison());
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  function condition(): Condition {
    const items = [conjunction()];
    while (accept('or')) items.push(conjunction());
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  function projectItems(): ProjectItem[] {
    const items: ProjectItem[] = [];
    do {
      if (peek().kind === 'identifier' && peek(1).kind === 'symbol' && peek(1).text === '=') {
        const alias = next().text;
        next();
        items.push({ name: alias, expr: expression() });
      } else {
        items.push({ name: '', expr: expression() });
      }
    } while (accept(','));
    return items;
  }

  function operator(): Operator {
    const keyword = identifier();
    switch (keyword.text) {
      case 'where':
        return { kind: 'where', condition: condition() };
      case 'project':
        return { kind: 'project', items: projectItems() };
      case 'order':
      case 'sort': {
        expect('by');
        const keys: { expr: Expr; direction: 'asc' | 'desc' }[] = [];
        do {
          const expr = expression();
          // KQL's default sort order is descending.
          let direction: 'asc' | 'desc' = 'desc';
          if (accept('asc')) direction = 'asc';
          else accept('desc');
          keys.push({ expr, direction });
        } while (accept(','));
        return { kind: 'order', keys };
      }
      case 'take':
      case 'limit': {
        const count = next();
        if (count.kind !== 'number' || !/^\d+$/.test(count.text)) fail(count, '<integer>');
        return { kind: 'take', count: Number(count.text) };
      }
      default:
        return fail(keyword, 'where');
    }
  }

  const tableToken = identifier();
  const operators: Operator[] = [];
  while (peek().kind !== 'eof') {
    if (!accept('|')) fail(peek(), '|');
    operators.push(operator());
  }
  return { table: tableToken.text, tableToken, operators };
}
