import pino from 'pino';

/** The structured logger every part of tfgw uses (pino). */
export type Logger = pino.Logger;

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** pino level. @default 'info' */
  level?: string;
  /** Pretty, human output. @default true when stderr is a TTY */
  pretty?: boolean;
  /** Destination file descriptor. @default 2 (stderr) */
  fd?: number;
}

/** Pretty logs on a TTY, JSON lines otherwise. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? process.env.TFGW_LOG_LEVEL ?? 'info';
  const fd = opts.fd ?? 2;
  const pretty = opts.pretty ?? Boolean(process.stderr.isTTY);
  if (pretty) {
    return pino({ level, base: undefined }, pino.transport({ target: 'pino-pretty', options: { destination: fd, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } }));
  }
  return pino({ level, base: undefined }, pino.destination({ fd, sync: true }));
}

/** A logger that drops everything (library use and tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
