import type { CallClient } from '../call/CallClient';
import type { EndReason } from '../call/events';
import { fill } from './texts';
import type { TextKey, Texts } from './texts';
import { pickLocale, textsFor } from './locales';
import { duration } from './dom';

/** A system message for the conversation's transcript. */
export interface SystemMessage {
  key: TextKey;
  /** The message in the chosen language, with the brand's overrides. */
  text: string;
  callId: string;
}

export interface TranscriptOptions {
  /** Language (default: the page's `lang`, then the browser's, then English). */
  locale?: string;
  /** Overrides of the texts, by key. */
  texts?: Partial<Record<TextKey, string>>;
}

/** The ended text of each reason a call can fail to start with. */
export const ENDED_TEXT: Readonly<Record<EndReason | 'answered-elsewhere', TextKey>> = {
  normal: 'endedNormal',
  declined: 'endedDeclined',
  cancelled: 'endedCancelled',
  expired: 'endedExpired',
  'permission-denied': 'endedPermission',
  'no-device': 'endedNoDevice',
  network: 'endedNetwork',
  timeout: 'endedTimeout',
  unsupported: 'endedUnsupported',
  disabled: 'endedDisabled',
  error: 'endedError',
  'answered-elsewhere': 'endedElsewhere',
};

/** The texts of a locale choice: the option, the page's language, the browser's, English. */
export function uiTexts(options: TranscriptOptions): { locale: string; texts: Texts } {
  const doc = typeof document === 'undefined' ? undefined : document;
  const nav = typeof navigator === 'undefined' ? undefined : navigator;
  const candidates: (string | undefined | null)[] = [options.locale, doc?.documentElement?.lang];
  const languages = nav?.languages ?? [];
  for (let i = 0; i < languages.length; i++) candidates[candidates.length] = languages[i];
  candidates[candidates.length] = nav?.language;
  const locale = pickLocale(candidates);
  return { locale, texts: textsFor(locale, options.texts) };
}

/**
 * Calls back with the transcript's system messages of every call of
 * `client`: invitation sent, call started, declined, missed, ended with its
 * duration, or why it could not start. Works without the visual UI, for a
 * messaging window that renders its own transcript. Returns the function
 * that stops it.
 *
 * @example
 * callTranscript(client, ({ text }) => conversation.addSystemMessage(text), { locale: 'de' });
 */
export function callTranscript(
  client: CallClient,
  onMessage: (message: SystemMessage) => void,
  options: TranscriptOptions = {},
): () => void {
  const { texts } = uiTexts(options);
  let started = '';
  const say = (key: TextKey, callId: string, values?: Record<string, string>) => {
    try {
      onMessage({ key, text: fill(texts[key], values), callId });
    } catch {
      // The page's callback: its failure is not the call's.
    }
  };
  const video = () => (client.callInfo?.acceptedMedia ?? client.callInfo?.media) === 'video';
  const onInvitation = (e: { callId: string; media: string }) =>
    say(e.media === 'video' ? 'sentVideo' : 'sentVoice', e.callId);
  const onState = (e: { state: string }) => {
    const callId = client.callInfo?.callId;
    if (e.state !== 'connected' || !callId || started === callId) return;
    started = callId;
    say(video() ? 'startedVideo' : 'startedVoice', callId);
  };
  const onEnded = (e: { callId: string; reason: EndReason; durationMs: number }) => {
    if (started === e.callId) {
      say(video() ? 'endedVideo' : 'endedVoice', e.callId, { duration: duration(e.durationMs) });
    } else if (e.reason === 'declined') say('declined', e.callId);
    else if (e.reason === 'expired' || e.reason === 'cancelled') say('missed', e.callId);
    else say(ENDED_TEXT[e.reason] ?? 'endedError', e.callId);
  };
  client.on('invitation', onInvitation);
  client.on('statechange', onState);
  client.on('ended', onEnded);
  return () => {
    client.off('invitation', onInvitation);
    client.off('statechange', onState);
    client.off('ended', onEnded);
  };
}
