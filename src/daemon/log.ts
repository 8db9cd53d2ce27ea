/*
 * raslogd's own log: winston to stdout (journald captures it under systemd).
 * No file transport: winston's maxsize rotation loses lines (winston#1655).
 */

import winston from 'winston';
import type { Logger } from '../collectors/types.ts';

export function createLogger(level: string): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(
      winston.format.timestamp(),
      winston.format.printf(({ timestamp, level: lv, message, ...meta }) => {
        const m = Object.keys(meta).length ? ' ' + JSON.stringify(meta) : '';
        return `${String(timestamp)} ${lv}: ${String(message)}${m}`;
      }),
    ),
    transports: [new winston.transports.Console()],
  });
}

export function asLogger(w: winston.Logger): Logger {
  return {
    info: (m, meta) => void w.info(m, meta),
    warn: (m, meta) => void w.warn(m, meta),
    error: (m, meta) => void w.error(m, meta),
    debug: (m, meta) => void w.debug(m, meta),
  };
}
