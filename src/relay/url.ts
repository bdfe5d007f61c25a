/**
 * The URL of a request. A request line that is not a URL (`GET http://[`)
 * gets a path no route has, so it is answered 404 and never throws.
 */
export function urlOf(raw: string | undefined): URL {
  try {
    return new URL(raw ?? '/', 'http://relay');
  } catch {
    return new URL('http://relay/invalid-request-url');
  }
}
