/**
 * The few DER (ASN.1) encoders and a TLV reader needed to build X.509 certificates with node:crypto alone.
 * Hand-rolled on purpose: @peculiar/x509 needs a global `Reflect.getMetadata` polyfill (tsyringe) that is not a
 * production dependency, and patching globals from an emulator loaded into the service's process is worse.
 */

export type Der = Buffer;

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Buffer): Der {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

export const sequence = (...items: Der[]): Der => tlv(0x30, Buffer.concat(items));
export const set = (...items: Der[]): Der => tlv(0x31, Buffer.concat(items));
export const octetString = (content: Buffer): Der => tlv(0x04, content);
export const bitString = (content: Buffer): Der => tlv(0x03, Buffer.concat([Buffer.from([0]), content]));
export const utf8String = (text: string): Der => tlv(0x0c, Buffer.from(text, 'utf8'));
export const boolean = (value: boolean): Der => tlv(0x01, Buffer.from([value ? 0xff : 0]));
/** Context-specific constructed tag `[n]` (EXPLICIT). */
export const explicit = (n: number, content: Der): Der => tlv(0xa0 + n, content);

/**
 * Unsigned big-endian integer from hex, minimally encoded as DER demands: leading zero bytes are stripped (OpenSSL
 * rejects them as "illegal padding") and one zero byte is added back when the high bit is set.
 */
export function integerHex(hex: string): Der {
  let bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.length === 0 ? Buffer.from([0]) : bytes.subarray(start);
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

export const integer = (n: number): Der => integerHex(n.toString(16));

export function oid(dotted: string): Der {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let rest = part >>> 7; rest > 0; rest >>>= 7) chunk.unshift((rest & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime before 2050, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
export function time(date: Date): Der {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return date.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${iso}Z`, 'ascii'));
}

/** A distinguished name from `[['2.5.4.3', 'CN value'], ...]`. */
export function name(attributes: [string, string][]): Der {
  return sequence(...attributes.map(([type, value]) => set(sequence(oid(type), utf8String(value)))));
}

export interface DerNode {
  tag: number;
  /** The whole TLV. */
  raw: Buffer;
  content: Buffer;
}

/** Reads the TLVs directly inside `content` (one level). */
export function readChildren(content: Buffer): DerNode[] {
  const nodes: DerNode[] = [];
  let offset = 0;
  while (offset < content.length) {
    const tag = content[offset] ?? 0;
    let len = content[offset + 1] ?? 0;
    let header = 2;
    if (len & 0x80) {
      const count = len & 0x7f;
      len = 0;
      for (let i = 0; i < count; i++) len = len * 256 + (content[offset + 2 + i] ?? 0);
      header += count;
    }
    const end = offset + header + len;
    nodes.push({ tag, raw: content.subarray(offset, end), content: content.subarray(offset + header, end) });
    offset = end;
  }
  return nodes;
}
