export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Where the SDK's log lines go. Lines never carry SDP, candidates or
 * credentials; `fields` holds short identifiers such as the callId.
 */
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

export const noopLogger: Logger = () => undefined;

/**
 * A logger that prints one line per entry to the console:
 * `[messaging-calls] info call ended: normal (local) callId=abc`.
 */
export function consoleLogger(minLevel: LogLevel = 'info'): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  return (level, message, fields) => {
    if (order.indexOf(level) < order.indexOf(minLevel)) return;
    const extra = fields
      ? Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => ` ${k}=${String(v)}`)
          .join('')
      : '';
    const method = level === 'debug' ? 'log' : level;
    console[method](`[messaging-calls] ${level} ${message}${extra}`);
  };
}
