import winston from 'winston';

/**
 * Operational log: JSON lines for operators. It never holds tokens, personal data or identifiers;
 * callers log route patterns, partners, status codes and request ids only.
 */
export function createLogger(level: string): winston.Logger {
  return winston.createLogger({
    level: level === 'silent' ? 'error' : level,
    silent: level === 'silent',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { service: 'five-safes-gateway' },
    transports: [new winston.transports.Console()],
  });
}

export type Logger = winston.Logger;
