#!/usr/bin/env node
// messaging-calls-relay: the signaling relay on its own port (docs/RELAY.md).
//
//   messaging-calls-relay [--port 8080] [--host 127.0.0.1] [--redis redis://host:6379]
//     [--auth-secret S | --public-key FILE] [--origin https://shop.example ...]
//     [--turn-secret S --turn-url turn:turn.example.com:3478 ...] [--turn-ttl SECONDS]
//
// Once listening it prints one line, `messaging-calls-relay listening on ws://HOST:PORT`,
// on stdout; log lines go to stderr. SIGTERM and SIGINT close every socket with 1001
// (going away) and exit 0.
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const USAGE = `usage: messaging-calls-relay [options]
  --port N              port (PORT; default 8080; 0: any free port)
  --host ADDRESS        address to listen on (HOST; default 127.0.0.1)
  --redis URL           Redis shared by the instances (REDIS_URL); without it, one instance
  --auth-secret S       HS256 secret of the sockets' tokens (RELAY_AUTH_SECRET)
  --public-key FILE     ES256 public key of the tokens, PEM or JWK (RELAY_PUBLIC_KEY: the key itself)
  --origin ORIGIN       an origin whose pages may connect; repeat (RELAY_ORIGINS, comma-separated)
  --turn-secret S       coturn's static-auth-secret, to add TURN servers to invites (TURN_SECRET)
  --turn-url URL        a TURN URL; repeat (TURN_URLS, comma-separated)
  --turn-ttl SECONDS    validity of the TURN credentials (TURN_TTL; default 86400)
  --instance NAME       this instance's name (RELAY_INSTANCE; default random)
  --verbose             log connections refused and Redis state changes to stderr
Without --auth-secret or --public-key, only this machine (loopback) may connect.`;

const list = (text) =>
  (text ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** The relay's options from the command line, with the environment as fallback. */
export function parseArguments(argv, env = process.env) {
  const given = { origins: [], turnUrls: [] };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--port':
        given.port = value();
        break;
      case '--host':
        given.host = value();
        break;
      case '--redis':
        given.redis = value();
        break;
      case '--auth-secret':
        given.authSecret = value();
        break;
      case '--public-key':
        given.publicKeyFile = value();
        break;
      case '--origin':
        given.origins.push(...list(value()));
        break;
      case '--turn-secret':
        given.turnSecret = value();
        break;
      case '--turn-url':
        given.turnUrls.push(...list(value()));
        break;
      case '--turn-ttl':
        given.turnTtl = value();
        break;
      case '--instance':
        given.instance = value();
        break;
      case '--verbose':
        given.verbose = true;
        break;
      case '--help':
      case '-h':
        given.help = true;
        break;
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  const portText = given.port ?? env.PORT;
  const port = portText === undefined || portText === '' ? 8080 : Number(portText);
  if (!(Number.isInteger(port) && port >= 0 && port < 65536))
    throw new Error('--port needs a port number');
  const options = { port, host: given.host || env.HOST || '127.0.0.1' };
  const redis = given.redis || env.REDIS_URL;
  if (redis) options.redis = redis;
  const authSecret = given.authSecret || env.RELAY_AUTH_SECRET;
  if (authSecret) options.authSecret = authSecret;
  const publicKey = given.publicKeyFile
    ? readFileSync(given.publicKeyFile, 'utf8')
    : env.RELAY_PUBLIC_KEY;
  if (publicKey) options.publicKey = publicKey;
  const origins = given.origins.length ? given.origins : list(env.RELAY_ORIGINS);
  if (origins.length) options.allowedOrigins = origins;
  const turnSecret = given.turnSecret || env.TURN_SECRET;
  const turnUrls = given.turnUrls.length ? given.turnUrls : list(env.TURN_URLS);
  if (turnSecret || turnUrls.length) {
    if (!turnSecret || !turnUrls.length)
      throw new Error('TURN needs both --turn-secret and --turn-url');
    const ttl = given.turnTtl ?? env.TURN_TTL;
    options.turn = { secret: turnSecret, urls: turnUrls };
    if (ttl) {
      const ttlSeconds = Number(ttl);
      if (!(ttlSeconds > 0)) throw new Error('--turn-ttl needs a number of seconds');
      options.turn.ttlSeconds = ttlSeconds;
    }
  }
  const instance = given.instance || env.RELAY_INSTANCE;
  if (instance) options.instance = instance;
  return { options, help: Boolean(given.help), verbose: Boolean(given.verbose) };
}

/** Log lines on stderr: stdout carries the one line that says where the relay listens. */
const stderrLogger =
  (verbose) =>
  (level, message, fields = {}) => {
    if (level === 'debug' || (level === 'info' && !verbose)) return;
    let extra = '';
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined)
        extra += ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
    }
    process.stderr.write(`[messaging-calls-relay] ${level} ${message}${extra}\n`);
  };

export async function main(argv = process.argv.slice(2)) {
  let parsed;
  try {
    parsed = parseArguments(argv);
  } catch (error) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let relayModule;
  try {
    relayModule = await import('../dist/relay.mjs');
  } catch (error) {
    const missing = /Cannot find (package|module) '(ws|jose|redis)'/.exec(error?.message ?? '');
    process.stderr.write(
      missing
        ? `the relay needs the ${missing[2]} package: npm install ws jose redis\n`
        : `${error?.message ?? error}\n`,
    );
    process.exit(1);
  }
  const logger = stderrLogger(parsed.verbose);
  const relay = await relayModule.startRelay({ ...parsed.options, logger });
  process.stdout.write(`messaging-calls-relay listening on ${relay.url}\n`);

  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    logger('info', `${signal}: closing`);
    // Sockets get 1001 (going away): their transports reconnect, to another instance.
    relay.close(1001).then(
      () => process.exit(0),
      () => process.exit(1),
    );
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/** Whether this file is the program (also when run through node_modules/.bin's link to it). */
function isMain() {
  try {
    return import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (process.argv[1] && isMain()) {
  main().catch((error) => {
    process.stderr.write(`messaging-calls-relay: ${error?.message ?? error}\n`);
    process.exit(1);
  });
}
