import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `X-Imagewarden-Signature`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (Stripe's scheme). The
 * timestamp is signed with the body, so a receiver that refuses an old `t` refuses a replayed request.
 */
export function signatureHeader(secret: string, body: string, timestampInSeconds: number): string {
  const t = Math.floor(timestampInSeconds);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does (docs/webhooks.md shows the same in a few lines): the header's `v1` matches the body signed
 * with the secret, compared in constant time, and `t` is within `toleranceInSeconds` of the receiver's clock.
 */
export function verifySignatureHeader(header: string, body: string, secret: string, nowInSeconds: number, toleranceInSeconds = 300): boolean {
  const parts = new Map(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = Buffer.from(parts.get('v1') ?? '', 'hex');
  if (!Number.isInteger(t) || Math.abs(nowInSeconds - t) > toleranceInSeconds) return false;
  const expected = Buffer.from(signatureHeader(secret, body, t).slice(`t=${t},v1=`.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
