import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

export const REQUEST_ID_HEADER = 'x-request-id';

/** What a caller's id may look like (UUIDs, trace ids, ULIDs…): anything else could forge or flood log lines. */
const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify's `genReqId`: the caller's `x-request-id` when it is a plain token, else a fresh UUID (unique across
 * restarts and replicas, unlike a counter). Fastify puts it in every log line of the request as `reqId`.
 */
export function requestIdOf(request: IncomingMessage): string {
  const presented = request.headers[REQUEST_ID_HEADER];
  return typeof presented === 'string' && ACCEPTED.test(presented) ? presented : randomUUID();
}

/** Every answer names its request id, errors and 404s included, so a caller can quote it against the logs. */
export function echoRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
  });
}
