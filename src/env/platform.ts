import type { UserAgentDataLike } from './browser';
import type { CryptoLike } from '../foundation/crypto';

/**
 * The browser APIs the SDK uses, injectable so that the same code runs in a
 * browser and in Node (with wrtc and synthetic devices) and can be faked in
 * unit tests. Nothing is read from the global scope at import time.
 */

/**
 * Facts about the page the SDK runs in. Read from the browser when not
 * injected; a field left undefined means "not a browser page" and its check
 * is skipped (Node with wrtc has no secure context, frames or user agent).
 */
export interface Environment {
  secureContext?: boolean;
  topFrame?: boolean;
  userAgent?: string;
  userAgentData?: UserAgentDataLike;
}

/** The part of `navigator.mediaDevices` the SDK uses. */
export interface MediaDevicesLike {
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>;
  /** A screen, window or tab, chosen by the user in the browser's picker (none on phones). */
  getDisplayMedia?(constraints: DisplayMediaStreamOptions): Promise<MediaStream>;
  enumerateDevices?(): Promise<MediaDeviceInfo[]>;
  addEventListener?(type: 'devicechange', listener: () => void): void;
  removeEventListener?(type: 'devicechange', listener: () => void): void;
}

/** The part of `document` the SDK uses: its visibility. */
export interface DocumentLike {
  visibilityState?: string;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener?(type: 'visibilitychange', listener: () => void): void;
}

/** The part of `sessionStorage` the SDK uses (the resume record). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The page's window, for `pagehide` and `pageshow` (resume). */
export interface WindowLike {
  addEventListener(type: string, listener: (event: { persisted?: boolean }) => void): void;
  removeEventListener(type: string, listener: (event: { persisted?: boolean }) => void): void;
}

export type RTCPeerConnectionConstructor = new (
  configuration?: RTCConfiguration,
) => RTCPeerConnection;
export type MediaStreamConstructor = new (tracks?: MediaStreamTrack[]) => MediaStream;

export interface Platform {
  RTCPeerConnection: RTCPeerConnectionConstructor;
  mediaDevices: MediaDevicesLike;
  /** Used to gather remote tracks into one stream; optional. */
  MediaStream?: MediaStreamConstructor;
  /**
   * Facts about the page (secure context, top frame, user agent) that
   * override what is read from the browser; Node platforms set them so that
   * browser-only checks do not apply.
   */
  environment?: Partial<Environment>;
  /** The page, to replay the agent's media when it is shown again; none in Node. */
  document?: DocumentLike;
  /** The tab's session storage, where a call waits for the next page (resume). */
  sessionStorage?: StorageLike;
  /** Random bytes and SHA-256, for resume's commitments. */
  crypto?: CryptoLike;
  /** Keeps the call's certificate across pages, so the verification code stays. */
  indexedDB?: IDBFactory;
  /** The page's window: `pagehide` suspends a call, `pageshow` resumes it. */
  window?: WindowLike;
}

/** A platform whose parts may be missing (an old browser, an insecure page). */
export type PartialPlatform = { [K in keyof Platform]?: Platform[K] | undefined };

/** Fills what the caller did not inject from the browser's globals, if present. */
export function resolvePlatform(injected: Partial<Platform> = {}): PartialPlatform {
  const g = globalThis as unknown as {
    RTCPeerConnection?: RTCPeerConnectionConstructor;
    MediaStream?: MediaStreamConstructor;
    navigator?: { mediaDevices?: MediaDevicesLike };
    document?: DocumentLike;
    sessionStorage?: StorageLike;
    crypto?: CryptoLike;
    indexedDB?: IDBFactory;
    window?: WindowLike;
  };
  return {
    RTCPeerConnection: injected.RTCPeerConnection ?? g.RTCPeerConnection,
    mediaDevices: injected.mediaDevices ?? g.navigator?.mediaDevices,
    MediaStream: injected.MediaStream ?? g.MediaStream,
    environment: injected.environment,
    document: injected.document ?? g.document,
    sessionStorage: injected.sessionStorage ?? read(() => g.sessionStorage),
    crypto: injected.crypto ?? g.crypto,
    indexedDB: injected.indexedDB ?? read(() => g.indexedDB),
    window: injected.window ?? g.window,
  };
}

/** A global that may throw when read (storage blocked in a sandboxed frame). */
function read<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}
