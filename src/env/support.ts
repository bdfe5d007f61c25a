import type { Environment, PartialPlatform } from './platform';

export type { Environment };
import { parseUserAgent } from './browser';
import type { BrowserInfo, BrowserName, UserAgentDataLike } from './browser';

/**
 * The oldest major version supported of each browser, or `false` for none.
 * The defaults are the two latest major versions when this version of the
 * SDK was released (and Firefox's current ESR).
 */
export interface BrowserPolicy {
  chrome?: number | false;
  edge?: number | false;
  firefox?: number | false;
  safari?: number | false;
  /** Browsers not named above (Opera, Samsung Internet, …): allowed or not. */
  others?: boolean;
}

export const DEFAULT_BROWSER_POLICY: Readonly<Required<BrowserPolicy>> = {
  chrome: 155,
  edge: 155,
  firefox: 153,
  safari: 26,
  others: false,
};

export type SupportReasonCode =
  | 'insecure-context'
  | 'not-top-frame'
  | 'no-webrtc'
  | 'no-media-devices'
  | 'browser-unsupported'
  | 'browser-outdated';

export interface SupportReason {
  code: SupportReasonCode;
  message: string;
}

export interface SupportReport {
  supported: boolean;
  reasons: SupportReason[];
  /** The browser as detected; null outside a browser page. */
  browser: BrowserInfo | null;
}

export interface SupportOptions {
  /** Refuse calls in an iframe (the default): the page must be the top frame. */
  requireTopFrame?: boolean;
  /** Which browsers may take calls; `'any'` skips the browser check. */
  browsers?: BrowserPolicy | 'any';
}

const NAMES: Record<BrowserName, string> = {
  chrome: 'Chrome',
  edge: 'Edge',
  firefox: 'Firefox',
  safari: 'Safari',
  opera: 'Opera',
  samsung: 'Samsung Internet',
  other: 'This browser',
};

/** Reads the environment from the browser's globals, with injected values taking precedence. */
export function readEnvironment(injected: Partial<Environment> = {}): Environment {
  const g = globalThis as unknown as {
    isSecureContext?: boolean;
    window?: unknown;
    top?: unknown;
    self?: unknown;
    document?: unknown;
    navigator?: { userAgent?: string; userAgentData?: UserAgentDataLike };
  };
  const isPage = typeof g.window !== 'undefined' && typeof g.document !== 'undefined';
  let topFrame: boolean | undefined;
  if (isPage) {
    try {
      topFrame = g.window === g.top;
    } catch {
      topFrame = false; // reading `top` can throw in sandboxed frames
    }
  }
  const detected: Environment = {
    secureContext: isPage ? g.isSecureContext : undefined,
    topFrame,
    userAgent: isPage ? g.navigator?.userAgent : undefined,
    userAgentData: isPage ? g.navigator?.userAgentData : undefined,
  };
  return { ...detected, ...injected };
}

/** evaluateSupport for a platform, with the page facts it reads or was given. */
export function supportOf(platform: PartialPlatform, options?: SupportOptions): SupportReport {
  return evaluateSupport(readEnvironment(platform.environment), platform, options);
}

/** Whether a call can run here, and every reason why not. Pure. */
export function evaluateSupport(
  env: Environment,
  platform: PartialPlatform,
  options: SupportOptions = {},
): SupportReport {
  const reasons: SupportReason[] = [];
  const add = (code: SupportReasonCode, message: string) => {
    reasons[reasons.length] = { code, message };
  };
  if (env.secureContext === false) {
    add('insecure-context', 'calls need a secure page (HTTPS)');
  }
  if (env.topFrame === false && options.requireTopFrame !== false) {
    add('not-top-frame', 'calls must run in the top frame of the page, not in an iframe');
  }
  if (!platform.RTCPeerConnection)
    add('no-webrtc', 'this browser has no WebRTC (RTCPeerConnection)');
  if (typeof platform.mediaDevices?.getUserMedia !== 'function') {
    add('no-media-devices', 'this browser cannot open a camera or microphone on this page');
  }
  const browser = env.userAgent ? parseUserAgent(env.userAgent, env.userAgentData) : null;
  const policy = options.browsers ?? DEFAULT_BROWSER_POLICY;
  if (browser && policy !== 'any') {
    const full = { ...DEFAULT_BROWSER_POLICY, ...policy };
    const name = NAMES[browser.name];
    const b = browser.name;
    if (b !== 'chrome' && b !== 'edge' && b !== 'firefox' && b !== 'safari') {
      // Opera, Samsung Internet and the rest are governed by `others`.
      if (!full.others) add('browser-unsupported', `${name} is not supported for calls`);
    } else {
      const min = full[b];
      if (min === false) {
        add('browser-unsupported', `${name} is not supported for calls`);
      } else if (browser.version !== null && browser.version < min) {
        add(
          'browser-outdated',
          `${name} ${browser.version} is too old for calls: version ${min} or later is needed`,
        );
      }
    }
  }
  return { supported: reasons.length === 0, reasons, browser };
}
