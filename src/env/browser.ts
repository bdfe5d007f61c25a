/**
 * Which browser this is, from the user agent string, refined by User-Agent
 * Client Hints where the browser has them. Pure: a function of its inputs,
 * tested from a table of real user agents.
 */

export type BrowserName = 'chrome' | 'edge' | 'firefox' | 'safari' | 'opera' | 'samsung' | 'other';
export type OsName = 'windows' | 'macos' | 'ios' | 'android' | 'linux' | 'chromeos' | 'other';

export interface BrowserInfo {
  name: BrowserName;
  /** Major version; null when it cannot be told. */
  version: number | null;
  os: OsName;
  mobile: boolean;
}

/** The part of `navigator.userAgentData` used here. */
export interface UserAgentDataLike {
  brands?: readonly { brand: string; version: string }[];
  mobile?: boolean;
  platform?: string;
}

function major(ua: string, pattern: RegExp): number | null {
  const match = pattern.exec(ua);
  return match?.[1] ? parseInt(match[1], 10) : null;
}

function osOf(ua: string): OsName {
  if (/iPhone|iPad|iPod/.test(ua)) return 'ios';
  if (/Android/.test(ua)) return 'android';
  if (/Windows NT/.test(ua)) return 'windows';
  if (/CrOS/.test(ua)) return 'chromeos';
  if (/Macintosh|Mac OS X/.test(ua)) return 'macos';
  if (/Linux|X11/.test(ua)) return 'linux';
  return 'other';
}

function fromString(ua: string, os: OsName): { name: BrowserName; version: number | null } {
  // Every browser on iOS is WebKit with Safari's WebRTC: judge it as Safari.
  if (os === 'ios') return { name: 'safari', version: major(ua, /Version\/(\d+)/) };
  if (/Trident\/|MSIE /.test(ua)) return { name: 'other', version: null };
  if (/Edge\/\d/.test(ua)) return { name: 'other', version: null }; // legacy EdgeHTML
  if (/Edg(?:A)?\//.test(ua)) return { name: 'edge', version: major(ua, /Edg(?:A)?\/(\d+)/) };
  if (/OPR\//.test(ua)) return { name: 'opera', version: major(ua, /OPR\/(\d+)/) };
  if (/SamsungBrowser\//.test(ua)) {
    return { name: 'samsung', version: major(ua, /SamsungBrowser\/(\d+)/) };
  }
  if (/YaBrowser\/|UCBrowser\/|Silk\//.test(ua)) return { name: 'other', version: null };
  if (/(?:HeadlessChrome|Chrome|Chromium)\/\d/.test(ua)) {
    return { name: 'chrome', version: major(ua, /(?:HeadlessChrome|Chrome|Chromium)\/(\d+)/) };
  }
  if (/Firefox\/\d/.test(ua)) return { name: 'firefox', version: major(ua, /Firefox\/(\d+)/) };
  // Safari is Apple's: a WebKit on Linux (WebKitGTK, WPE) claims the same
  // tokens with its own version numbers.
  if (/Version\/\d+.*Safari\//.test(ua) && os === 'macos') {
    return { name: 'safari', version: major(ua, /Version\/(\d+)/) };
  }
  return { name: 'other', version: null };
}

const CHROMIUM_FAMILY: ReadonlySet<BrowserName> = new Set(['chrome', 'edge', 'opera']);

/** Client Hints brand → our name, most specific first. */
const BRANDS: readonly [string, BrowserName][] = [
  ['Microsoft Edge', 'edge'],
  ['Opera', 'opera'],
  ['Google Chrome', 'chrome'],
  ['Chromium', 'chrome'],
];

/**
 * Whether client hints describe the same Chromium as the UA string. The UA
 * string's major version is never frozen, so a different major means the
 * string was overridden (a testing tool, a compatibility setting) and wins.
 */
function hintsMatch(ua: string, brands: readonly { brand: string; version: string }[]): boolean {
  const stringMajor = major(ua, /(?:HeadlessChrome|Chrome|Chromium)\/(\d+)/);
  if (stringMajor === null) return true;
  for (let i = 0; i < brands.length; i++) {
    const b = brands[i];
    if (b && (b.brand === 'Chromium' || b.brand === 'Google Chrome')) {
      return parseInt(b.version, 10) === stringMajor;
    }
  }
  return true;
}

/**
 * Identifies the browser.
 *
 * Client Hints refine a Chromium-family answer (they name Edge and the exact
 * major version without the frozen UA string); when the UA string names a
 * browser outside that family, it wins — the UA was overridden on purpose,
 * or the hints belong to an embedding shell.
 */
export function parseUserAgent(ua: string, data?: UserAgentDataLike): BrowserInfo {
  const os = osOf(ua);
  let { name, version } = fromString(ua, os);
  const brands = data?.brands;
  if (brands && brands.length > 0 && CHROMIUM_FAMILY.has(name) && hintsMatch(ua, brands)) {
    for (const [brand, mapped] of BRANDS) {
      let found: { brand: string; version: string } | undefined;
      for (let i = 0; i < brands.length; i++) if (brands[i]?.brand === brand) found = brands[i];
      if (found) {
        name = mapped;
        version = parseInt(found.version, 10) || version;
        break;
      }
    }
  }
  const mobile = data?.mobile ?? /Mobi|Android|iPhone|iPad|iPod/.test(ua);
  return { name, version, os, mobile };
}
