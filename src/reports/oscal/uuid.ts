import { createHash } from 'node:crypto';
import { OSCAL_NS } from './text.js';

/** RFC 4122 appendix C: the namespace for names that are URLs. */
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/**
 * An RFC 4122 version-5 UUID (SHA-1 of namespace + name). Name-based, so the same name always gives the same UUID
 * and anyone can recompute it with a standard library; SHA-1 is what version 5 specifies and UUIDs carry no
 * security claim here (the ledger and the population hash do).
 */
export function uuidV5(namespace: string, name: string): string {
  const digest = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest();
  digest[6] = (digest[6]! & 0x0f) | 0x50;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const IMAGEWARDEN_UUID_NAMESPACE = uuidV5(URL_NAMESPACE, OSCAL_NS);

export interface OscalUuids {
  /** Something that exists in this report only (the document, a result, an observation, a finding). */
  report(...path: string[]): string;
  /**
   * A subject that outlives one report (a pool, a finding's POA&M item, an exception, a person): OSCAL asks for the
   * same UUID across revisions, so next month's POA&M names the same open item with the same UUID.
   */
  subject(...path: string[]): string;
}

/**
 * `installation` keeps subject UUIDs of two imagewarden installations apart (their finding ids and user names are
 * local to each). Names are JSON arrays, so no choice of ids can make two different paths collide.
 */
export function createOscalUuids(reportId: string, installation: string): OscalUuids {
  return {
    report: (...path) => uuidV5(IMAGEWARDEN_UUID_NAMESPACE, JSON.stringify(['report', reportId, ...path])),
    subject: (...path) => uuidV5(IMAGEWARDEN_UUID_NAMESPACE, JSON.stringify(['subject', installation, ...path])),
  };
}
