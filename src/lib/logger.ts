import pino, { type Logger } from 'pino';
import type { LogLevel } from '../config.js';

/** Structured JSON logs on stderr (stdout belongs to command output); credentials never reach them. */
export function createLogger(level: LogLevel): Logger {
  return pino(
    {
      level,
      base: { service: 'imagewarden' },
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', '*.token', '*.key', '*.clientSecret'],
        censor: '[redacted]',
      },
    },
    pino.destination({ dest: 2, sync: true }),
  );
}
