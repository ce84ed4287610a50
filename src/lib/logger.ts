import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config.js';

/**
 * Structured JSON logs on stderr (stdout belongs to command output); credentials never reach them. `destination`
 * is for tests that read what would be logged.
 */
export function createLogger(level: LogLevel, destination: DestinationStream = pino.destination({ dest: 2, sync: true })): Logger {
  return pino(
    {
      level,
      base: { service: 'imagewarden' },
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'res.headers["set-cookie"]', '*.csrfToken', '*.sessionId', 'headers.authorization', '*.token', '*.key', '*.clientSecret', '*.secret', 'webhook.secret', '*.webhook.secret'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
