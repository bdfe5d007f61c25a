/**
 * The little of WebDriver BiDi that the Firefox driver speaks itself
 * (https://w3c.github.io/webdriver-bidi/): `script.evaluate` results and the
 * browsing-context tree. Puppeteer's own `evaluate` is not used for the page
 * because it grants the page a user activation with every call
 * (`userActivation: true`), which Chromium's `Runtime.evaluate` does not:
 * autoplay and other gesture-gated APIs would behave differently per engine.
 */

/** A serialized value (`script.RemoteValue`), as far as the tests return them. */
export type RemoteValue =
  | { type: 'undefined' }
  | { type: 'null' }
  | { type: 'string'; value: string }
  | { type: 'number'; value: number | 'NaN' | '-0' | 'Infinity' | '-Infinity' }
  | { type: 'boolean'; value: boolean }
  | { type: 'bigint'; value: string }
  | { type: 'array' | 'set'; value?: RemoteValue[] }
  | { type: 'object' | 'map'; value?: [string | RemoteValue, RemoteValue][] }
  | { type: 'date'; value: string }
  | { type: 'regexp'; value: { pattern: string; flags?: string } }
  | { type: string; handle?: string; value?: unknown };

/** `script.EvaluateResult` */
export type EvaluateResult =
  | { type: 'success'; result: RemoteValue }
  | {
      type: 'exception';
      exceptionDetails: { text: string; exception?: RemoteValue; lineNumber?: number };
    };

/** `browsingContext.Info` */
export interface ContextInfo {
  context: string;
  url: string;
  userContext?: string;
  children: ContextInfo[] | null;
}

/** A plain JavaScript value from a serialized one (what `returnByValue` gives in CDP). */
export function deserialize(remote: RemoteValue): unknown {
  switch (remote.type) {
    case 'undefined':
      return undefined;
    case 'null':
      return null;
    case 'string':
    case 'boolean':
      return remote.value;
    case 'number': {
      const v = remote.value;
      if (v === 'NaN') return NaN;
      if (v === '-0') return -0;
      if (v === 'Infinity') return Infinity;
      if (v === '-Infinity') return -Infinity;
      return v;
    }
    case 'bigint':
      return BigInt(remote.value as string);
    case 'array':
    case 'set':
      return ((remote.value as RemoteValue[] | undefined) ?? []).map(deserialize);
    case 'object':
    case 'map': {
      const out: Record<string, unknown> = {};
      const entries = (remote.value as [string | RemoteValue, RemoteValue][] | undefined) ?? [];
      for (const [key, value] of entries) {
        out[typeof key === 'string' ? key : String(deserialize(key))] = deserialize(value);
      }
      return out;
    }
    case 'date':
      return new Date(remote.value as string);
    default:
      // Nodes, functions, windows, promises...: as CDP's returnByValue, nothing useful.
      return {};
  }
}

/** What an exception in the page says, for the error thrown in the test. */
export function exceptionText(result: Extract<EvaluateResult, { type: 'exception' }>): string {
  const exception = result.exceptionDetails.exception;
  if (exception && exception.type === 'error') {
    // Errors serialize without their message; `text` carries "Error: message".
    return result.exceptionDetails.text;
  }
  if (exception)
    return `${result.exceptionDetails.text} (${JSON.stringify(deserialize(exception))})`;
  return result.exceptionDetails.text;
}

/** Depth-first search of a context tree for a context whose URL contains `part`. */
export function findContext(
  contexts: readonly ContextInfo[],
  match: (c: ContextInfo) => boolean,
): ContextInfo | undefined {
  for (const c of contexts) {
    if (match(c)) return c;
    const found = findContext(c.children ?? [], match);
    if (found) return found;
  }
  return undefined;
}
