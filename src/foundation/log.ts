export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Where the SDK's log lines go. Lines never carry SDP, candidates or
 * credentials; `fields` holds short identifiers such as the callId.
 */
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

export const noopLogger: Logger = () => undefined;

/**
 * What may be logged of an error: its name. Browser messages can quote SDP
 * lines, candidates and addresses (Chromium's setRemoteDescription errors do).
 */
export function errorName(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^[A-Za-z]{1,40}$/.test(name) ? name : typeof error;
}

/**
 * A logger that prints one line per entry to the console:
 * `[messaging-calls] info call ended: normal (local) callId=abc`.
 */
export function consoleLogger(minLevel: LogLevel = 'info'): Logger {
  const rank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  return (level, message, fields) => {
    if (rank[level] < rank[minLevel]) return;
    let extra = '';
    for (const key in fields) {
      const value = fields[key];
      if (value !== undefined) extra += ` ${key}=${text(value)}`;
    }
    const method = level === 'debug' ? 'log' : level;
    console[method](`[messaging-calls] ${level} ${message}${extra}`);
  };
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return '[object]';
    }
  }
  return typeof value === 'symbol' ? value.toString() : `${value as number}`;
}
