/**
 * Tokenizer for the KQL subset the emulator understands. Positions follow ARG's ParserFailure detail:
 * `line` is 1-based, `characterPositionInLine` 0-based.
 */

export type TokenKind = 'identifier' | 'string' | 'number' | 'symbol' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The source text (for strings: the decoded value). */
  text: string;
  line: number;
  column: number;
}

/** A query the emulator rejects; `code` becomes the second ARG error detail (ParserFailure for syntax). */
export class KqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    readonly token: string,
    readonly expectedToken: string,
    readonly code = 'ParserFailure',
  ) {
    super(message);
  }
}

const SYMBOLS = ['==', '=~', '!=', '!~', '|', ',', '.', '=', '(', ')', '[', ']', '-', '+', '*', '/', '<', '>'];

export function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const at = (): { line: number; column: number } => ({ line, column: i - lineStart });

  while (i < query.length) {
    const ch = query[i]!;
    if (ch === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (query.startsWith('//', i)) {
      while (i < query.length && query[i] !== '\n') i++;
      continue;
    }
    const start = at();
    if (/[A-Za-z_]/.test(ch)) {
      let end = i + 1;
      while (end < query.length && /[A-Za-z0-9_]/.test(query[end]!)) end++;
      tokens.push({ kind: 'identifier', text: query.slice(i, end), ...start });
      i = end;
      continue;
    }
    if (/[0-9]/.test(ch)) {
      let end = i + 1;
      while (end < query.length && /[0-9.]/.test(query[end]!)) end++;
      tokens.push({ kind: 'number', text: query.slice(i, end), ...start });
      i = end;
      continue;
    }
    if (ch === "'" || ch === '"') {
      let end = i + 1;
      let value = '';
      while (end < query.length && query[end] !== ch) {
        if (query[end] === '\\' && end + 1 < query.length) end++;
        if (query[end] === '\n') break;
        value += query[end];
        end++;
      }
      if (query[end] !== ch) throw new KqlSyntaxError('Unterminated string literal', start.line, start.column, query.slice(i, end), ch);
      tokens.push({ kind: 'string', text: value, ...start });
      i = end + 1;
      continue;
    }
    const symbol = SYMBOLS.find((s) => query.startsWith(s, i));
    if (!symbol) throw new KqlSyntaxError(`Unexpected character '${ch}'`, start.line, start.column, ch, '<EOF>');
    tokens.push({ kind: 'symbol', text: symbol, ...start });
    i += symbol.length;
  }
  tokens.push({ kind: 'eof', text: '<EOF>', ...at() });
  return tokens;
}
