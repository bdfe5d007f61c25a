import { CallError } from '../foundation/errors';
import { errorName } from '../foundation/log';
import type { Logger } from '../foundation/log';
import { drain } from '../util/list';
import type { Extension, ExtensionContext, ExtensionEvent } from './extension';
import type { ClientCore } from './core';
import type { MediaControls } from './controls';
import type { CallEvents } from './events';

/**
 * Runs the extensions with their context, collecting their teardowns in
 * `teardowns` as they come (an extension may destroy the client at once).
 * One that throws (or an entry that is not a function) runs the teardowns
 * of those before it, and the error reaches the caller.
 */
export function runExtensions<Client>(
  extensions: readonly Extension<Client>[] | undefined,
  context: ExtensionContext<Client>,
  teardowns: (() => void)[],
  log: Logger,
): void {
  try {
    for (const extension of extensions ?? []) {
      if (typeof extension !== 'function') {
        throw new CallError('invalid-argument', 'options.extensions must hold functions');
      }
      const teardown = extension(context);
      if (typeof teardown === 'function') teardowns.push(teardown);
    }
  } catch (error) {
    tearDown(teardowns, log);
    throw error;
  }
}

/** Runs the extensions' teardowns, each on its own: one that throws is logged. */
export function tearDown(teardowns: (() => void)[], log: Logger): void {
  for (const teardown of drain(teardowns)) {
    try {
      teardown();
    } catch (error) {
      log('error', 'an extension teardown threw', { error: errorName(error) });
    }
  }
}

/**
 * The context the client gives its extensions: its clock and logger, a
 * hook on its state, the events extensions own (never a forged state or
 * ending), and the current call's video sender.
 */
export function extensionContext<Client>(
  client: Client,
  core: ClientCore,
  controls: MediaControls,
  emit: <E extends ExtensionEvent>(event: E, args: CallEvents[E]) => void,
): ExtensionContext<Client> {
  return {
    client,
    clock: core.clock,
    log: core.log,
    videoMaxKbps: core.videoMaxKbps,
    emit: (event, ...args) => {
      if (event === 'quality' || event === 'bandwidth' || event === 'warning') emit(event, args);
    },
    onStateChange: (hook) => core.machine.hook(hook),
    setVideoEncoding: (encoding) => controls.encode(core.call, encoding),
    setVideoPaused: (paused) => controls.pauseVideo(core.call, paused),
  };
}
