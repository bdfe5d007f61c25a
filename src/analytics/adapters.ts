import type { AnalyticsParams } from './taxonomy';

/** A tracker adapter a brand writes itself. */
export interface AnalyticsAdapter {
  /** Named in the log line when it throws. */
  name?: string;
  track(event: string, params: AnalyticsParams): void;
}

/** The trackers supported out of the box. */
export type AdapterName = 'ga4' | 'gtm' | 'matomo' | 'mapp' | 'tealium';

/** One entry of `adapters`: a tracker by name, a function, or an adapter object. */
export type AnalyticsAdapterOption =
  AdapterName | ((event: string, params: AnalyticsParams) => void) | AnalyticsAdapter;

/**
 * The page globals the adapters and the report read, at every use (never
 * kept: Matomo and Mapp's Smart Pixel replace their queue by the tracker
 * once loaded). Defaults to `globalThis`; tests pass a plain object.
 */
export interface AnalyticsWindow {
  gtag?: unknown;
  dataLayer?: unknown;
  _paq?: unknown;
  wts?: unknown;
  wtSmart?: unknown;
  wt?: unknown;
  utag?: unknown;
  navigator?: {
    userAgent?: string;
    userAgentData?: unknown;
    sendBeacon?: (url: string, data: string) => boolean;
  };
  fetch?: (url: string, init: { method: string; body: string; keepalive: boolean }) => unknown;
  /** Where a call's report waits for the next page, when the call goes on there. */
  sessionStorage?: { getItem(key: string): string | null; setItem(key: string, v: string): void };
  addEventListener?: (type: string, listener: () => void) => void;
  removeEventListener?: (type: string, listener: () => void) => void;
}

/** Mapp's parameter ids: taxonomy parameter name → the number set up in Mapp Intelligence. */
export type MappParameterIds = Record<string, number>;

/**
 * Hands one event to a tracker; false when its global is not there (yet):
 * the event waits. A vendor's global is looked up, never created.
 */
export type Vendor = (
  w: AnalyticsWindow,
  event: string,
  params: AnalyticsParams,
  mappIds: MappParameterIds,
) => boolean;

type Fn = (...args: unknown[]) => unknown;
type Has<K extends string> = { [key in K]: Fn };

const has = <K extends string>(value: unknown, key: K): value is Has<K> =>
  !!value && typeof (value as Record<string, unknown>)[key] === 'function';

interface SmartPixel {
  action: { data: { set(data: { name: string; parameter: Record<number, string> }): void } };
  trackAction(): void;
}

export const VENDORS: Record<AdapterName, Vendor> = {
  // gtag() queues its arguments object; an array pushed to dataLayer by hand
  // would be ignored by gtag.js.
  ga4: (w, event, params) => has(w, 'gtag') && (w.gtag('event', event, params), true),
  // GTM merges every push into one data model: clear the nested object
  // first, or one event's parameters would linger into the next.
  gtm: (w, event, params) => {
    const layer = w.dataLayer;
    if (!has(layer, 'push')) return false;
    layer.push({ call: null });
    layer.push({ event, call: params });
    return true;
  },
  // trackEvent(category, action, name, value): the first string parameter
  // after the call id names the event, the first number is its value.
  matomo: (w, event, params) => {
    const paq = w._paq;
    if (!has(paq, 'push')) return false;
    let name: string | undefined;
    let value: number | undefined;
    for (const key in params) {
      const v = params[key];
      if (typeof v === 'number') value ??= v;
      else if (key !== 'call_id') name ??= String(v);
    }
    const command: unknown[] = ['trackEvent', 'call', event];
    if (name !== undefined || value !== undefined) command.push(name);
    if (value !== undefined) command.push(value);
    paq.push(command);
    return true;
  },
  // Pixel v4/v5 queue (wts), Smart Pixel (wtSmart), else pixel v3 (wt).
  // Mapp takes only the parameters the brand set up, by their numeric id.
  mapp: (w, event, params, ids) => {
    const parameter: Record<number, string> = {};
    const keys = Object.keys(ids);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const v = params[key];
      if (v !== undefined) parameter[ids[key] as number] = String(v);
    }
    const click = { linkId: event, customClickParameter: parameter };
    if (has(w.wtSmart, 'push')) {
      w.wtSmart.push((pixel: SmartPixel) => {
        try {
          pixel.action.data.set({ name: event, parameter });
          pixel.trackAction();
        } catch {
          // Runs when the pixel drains its queue: a broken pixel stays Mapp's problem.
        }
      });
    } else if (has(w.wts, 'push')) w.wts.push(['send', 'click', click]);
    else if (has(w.wt, 'sendinfo')) w.wt.sendinfo(click);
    else return false;
    return true;
  },
  // utag.link has no queue: events wait until utag is there. Never a third
  // argument (uid_array): it would bypass the consent load rules.
  tealium: (w, event, params) =>
    has(w.utag, 'link') && (w.utag.link({ tealium_event: event, ...params }), true),
};
