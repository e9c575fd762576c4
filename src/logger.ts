import pino from 'pino';

export type Logger = pino.Logger;

/**
 * JSON lines, one object per event. On a terminal, readable lines instead (pino-pretty, when installed).
 * Secrets never reach a log line: authorization headers and keys are redacted wherever they appear.
 */
export function createLogger(level: string, options: { pretty?: boolean } = {}): Logger {
  const base: pino.LoggerOptions = {
    level,
    redact: {
      paths: ['*.authorization', '*.apiKey', '*.key', '*.password', 'req.headers.authorization'],
      censor: '[redacted]',
    },
  };
  if (options.pretty) {
    try {
      return pino({
        ...base,
        transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
      });
    } catch {
      // pino-pretty is a development dependency; without it, JSON it is.
    }
  }
  // Synchronous writes: a line logged is a line written, in order, even if the process is killed next.
  return pino(base, pino.destination({ dest: 1, sync: true }));
}
