/**
 * The loader: a small script a page can load up front. It listens for
 * call signaling and fetches the full SDK only when the first invitation
 * arrives, then hands over everything it received, in order, to a
 * CallClient. Pages where no agent ever calls pay for the loader alone.
 *
 * It imports nothing from the SDK but a few small pure functions: the SDK is
 * what it loads. Like the SDK's call paths it uses no Array.prototype helper,
 * which the page may have replaced.
 *
 * @module messaging-calls/loader
 */
import { idOf, readSignaling } from '../transport/signaling';
import { assertSecureSocketUrl } from '../transport/websocket';
import { drain } from '../util/list';

/** The part of the SDK's Transport the loader builds and hands over. */
interface HandoverTransport {
  send(message: unknown): void;
  listen(listener: {
    message(data: unknown): void;
    close(reason: string): void;
    warning?(message: string): void;
  }): () => void;
  close(): void;
}

/** What the loaded bundle defines (the UMD global `MessagingCalls`). */
export interface SdkGlobal {
  CallClient: new (options: Record<string, unknown>) => unknown;
  /** The quality monitor extension (messaging-calls/quality). */
  qualityMonitor(options?: Record<string, unknown>): unknown;
  [name: string]: unknown;
}

/** What {@link watch} is given: the SDK's URL, the signaling, and what to do with the client. */
export interface LoaderOptions {
  /** URL of the full SDK bundle (`messaging-calls.umd.min.js`). */
  src: string;
  /** Signaling over a WebSocket to this URL (`wss://`, or `ws://` to this machine)… */
  url?: string;
  /** …or inside a messaging conversation, as for MessagingTransport. */
  messaging?: {
    publish(payload: string): void | Promise<void>;
    subscribe(handler: (payload: unknown) => void): () => void;
  };
  /**
   * CallClient options other than the transport; or a function of the
   * loaded SDK that returns them, for options made from it:
   * `client: (sdk) => ({ extensions: [sdk.qualityMonitor()] })`.
   */
  client?: Record<string, unknown> | ((sdk: SdkGlobal) => Record<string, unknown>);
  /**
   * Receives the CallClient once the SDK is loaded, before the invitation is
   * delivered to it: attach listeners here.
   */
  onReady(client: unknown): void;
  /** The SDK could not be loaded or started. */
  onError?(error: unknown): void;
  /** Where the SDK's global is found and the script added; the page by default. */
  window?: {
    MessagingCalls?: SdkGlobal;
    /** Where a call left by the previous page of the tab waits (resume). */
    sessionStorage?: { getItem(key: string): string | null };
    document: {
      createElement(tag: 'script'): {
        src: string;
        async: boolean;
        onload: (() => void) | null;
        onerror: (() => void) | null;
      };
      head: { appendChild(node: unknown): unknown };
    };
  };
}

/** What {@link watch} returns. */
export interface LoaderHandle {
  /** True once the SDK is loaded and the client handed over. */
  readonly loaded: boolean;
  /** Stops listening (and closes the loader's own socket if the SDK never loaded). */
  stop(): void;
}

type Listener = Parameters<HandoverTransport['listen']>[0];
type Page = NonNullable<LoaderOptions['window']>;

/**
 * Starts listening for invitations.
 *
 * @example
 * MessagingCallsLoader.watch({
 *   src: '/assets/messaging-calls.umd.min.js',
 *   url: 'wss://example.com/signaling',
 *   onReady: (client) => client.on('invitation', () => showInvitation(client)),
 * });
 */
export function watch(options: LoaderOptions): LoaderHandle {
  const win: Page = options.window ?? globalThis;
  const buffered: unknown[] = [];
  let listener: Listener | null = null;
  /** The client listens and the buffer was delivered: messages go straight through. */
  let live = false;
  const sentIds = new Set<string>();
  let loading = false;
  let loaded = false;
  let stopped = false;
  let closedReason: string | null = null;
  let socket: WebSocket | null = null;
  let unsubscribe: (() => void) | null = null;
  const unsent: string[] = [];

  // Each text is parsed once, here (none over the size limit): the client
  // gets the parsed value.
  const receive = (data: unknown) => {
    const read = stopped ? null : readSignaling(data);
    if (!read) return;
    if (read.refused !== undefined) {
      if (live) listener?.warning?.(read.refused);
      return;
    }
    const value = read.value;
    const id = idOf(value);
    if (id !== undefined && sentIds.has(id)) return; // our own message, echoed
    if (live && listener) return listener.message(value);
    buffered[buffered.length] = value;
    if (buffered.length > 1_000) {
      // The oldest goes; by hand, as the page may have replaced shift().
      for (let i = 1; i < buffered.length; i++) buffered[i - 1] = buffered[i];
      buffered.length--;
    }
    if (!loading && (value as { type?: unknown }).type === 'invite') load();
  };
  const closed = (reason: string) => {
    closedReason = reason;
    if (live) listener?.close(reason);
  };

  if (options.messaging) {
    unsubscribe = options.messaging.subscribe(receive);
  } else if (options.url) {
    assertSecureSocketUrl(options.url, false);
    socket = new WebSocket(options.url);
    socket.onmessage = (event) => receive(event.data);
    // What the client says before the socket is open (a resume, at once) goes out when it is.
    socket.onopen = () => {
      const texts = drain(unsent);
      for (let i = 0; i < texts.length; i++) socket?.send(texts[i] as string);
    };
    socket.onclose = () => closed('websocket closed');
  } else {
    throw new TypeError('MessagingCallsLoader.watch needs `url` or `messaging`');
  }

  // The socket as a transport, for the CallClient; the messaging functions
  // are handed over as they are (the SDK's MessagingTransport is used).
  const handover: HandoverTransport = {
    send: (message) => {
      const id = (message as { id?: unknown }).id;
      if (typeof id === 'string') sentIds.add(id);
      const text = JSON.stringify(message);
      if (socket?.readyState === 1) socket.send(text);
      else if (socket?.readyState === 0) unsent[unsent.length] = text;
      else {
        try {
          void Promise.resolve(options.messaging?.publish(text)).catch(() => undefined);
        } catch {
          // The page's publish failed: the client's own timers handle a message lost.
        }
      }
    },
    listen: (l) => {
      listener = l;
      return () => {
        // A client that was replaced and unsubscribes late leaves the current one.
        if (listener === l) listener = null;
      };
    },
    close: () => {
      socket?.close();
      unsubscribe?.();
    },
  };

  function fail(error: unknown): void {
    loading = false; // the next invitation tries again
    options.onError?.(error);
  }

  function start(): void {
    const sdk = win.MessagingCalls;
    if (!sdk || stopped) return fail(new Error('the SDK bundle did not define MessagingCalls'));
    let client: unknown;
    try {
      const extra = typeof options.client === 'function' ? options.client(sdk) : options.client;
      client = new sdk.CallClient({ ...extra, transport: handover });
    } catch (error) {
      return fail(error); // no client was made: the next invitation tries again
    }
    loaded = true;
    // A throwing onReady is reported, and the client is kept and goes live all
    // the same: onReady is the page's callback, and like any listener of the
    // SDK its bug must not break calls. The listeners it attached before it
    // threw still work, and this transport keeps one client: making another
    // at the next invitation would leave two clients on it (the page may hold
    // the first) and run a broken onReady again at every invitation.
    try {
      options.onReady(client);
    } catch (error) {
      options.onError?.(error);
    } finally {
      // Now that the application listens: what was buffered, the invitation
      // included, in order (also what arrives meanwhile); then everything as
      // it comes.
      while (buffered.length > 0) {
        const pending = drain(buffered);
        for (let i = 0; i < pending.length; i++) listener?.message(pending[i]);
      }
      live = true;
      if (closedReason) listener?.close(closedReason);
    }
  }

  function load(): void {
    loading = true;
    if (win.MessagingCalls) return start();
    const script = win.document.createElement('script');
    script.src = options.src;
    script.async = true;
    script.onload = start;
    script.onerror = () => fail(new Error(`the SDK could not be loaded from ${options.src}`));
    win.document.head.appendChild(script);
  }

  // A call (or a ringing invitation) that the previous page of this tab
  // left for this one: the SDK is needed now, to take it back.
  try {
    const resume = typeof options.client === 'object' ? options.client.resume : undefined;
    const key = (resume as { storageKey?: string } | undefined)?.storageKey || 'messaging-calls';
    const kept = JSON.parse(win.sessionStorage?.getItem(key) ?? 'null') as { savedAt?: number };
    if (resume !== false && kept && Date.now() - (kept.savedAt as number) < 25_000) load();
  } catch {
    // No storage, or nothing readable in it: the loader waits for an invitation.
  }

  return {
    get loaded() {
      return loaded;
    },
    stop() {
      stopped = true;
      if (!loaded) handover.close();
    },
  };
}
