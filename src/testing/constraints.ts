// How a browser answers getUserMedia's device constraints, for the
// synthetic devices: DOMException errors and device picking by `exact` and
// `ideal` values.
import type { ConstrainedProperty } from './types';

export function domError(name: string, message: string): DOMException {
  // Node 20 has DOMException, so `instanceof DOMException` and `.name` work as in a browser.
  return new DOMException(message, name);
}

/** Browsers throw an OverconstrainedError (a DOMException) naming the failed constraint. */
export function overconstrained(constraint: string): DOMException {
  const error = domError('OverconstrainedError', `Cannot satisfy constraint ${constraint}`);
  Object.defineProperty(error, 'constraint', { value: constraint, enumerable: true });
  return error;
}

function asList(value: string | string[]): string[] {
  return Array.isArray(value) ? value : [value];
}

/** A ConstrainDOMString split into its required and preferred values; a bare value is preferred. */
function parseConstraint(c: ConstrainDOMString | undefined): {
  exact?: string[];
  ideal?: string[];
} {
  if (c === undefined) return {};
  if (typeof c === 'string' || Array.isArray(c)) return { ideal: asList(c) };
  return {
    ...(c.exact !== undefined && { exact: asList(c.exact) }),
    ...(c.ideal !== undefined && { ideal: asList(c.ideal) }),
  };
}

/**
 * Picks a device as a browser does for `deviceId` and `facingMode`: `exact`
 * values filter (none left: OverconstrainedError), `ideal` (or bare) values
 * rank what is left, earlier constraints weighing more; ties go to the first.
 */
export function pickDevice<D>(
  devices: D[],
  constraints: MediaTrackConstraints,
  properties: Array<[ConstrainedProperty, (device: D) => string | undefined]>,
): D {
  let candidates = devices;
  const preferences: Array<(device: D) => boolean> = [];
  for (const [name, valueOf] of properties) {
    const { exact, ideal } = parseConstraint(constraints[name]);
    const matches = (values: string[]) => (device: D) => {
      const value = valueOf(device);
      return value !== undefined && values.includes(value);
    };
    if (exact) {
      candidates = candidates.filter(matches(exact));
      if (candidates.length === 0) throw overconstrained(name);
    }
    if (ideal) preferences.push(matches(ideal));
  }
  const score = (device: D) =>
    preferences.reduce(
      (sum, prefers, i) => sum + (prefers(device) ? 2 ** (preferences.length - i) : 0),
      0,
    );
  let best = candidates[0] as D;
  for (const device of candidates) if (score(device) > score(best)) best = device;
  return best;
}
