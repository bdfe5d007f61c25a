/**
 * The demo served to the local network over HTTPS (`server.mjs --host
 * 0.0.0.0 --https`), as a phone on the LAN would reach it: the server runs
 * in a network namespace of its own, another machine on a veth pair
 * (`createLanHost()` in test/support/netns.ts), and Chromium in the root
 * namespace opens its printed https://10.199.1.2:PORT/ URLs, accepting the
 * self-signed certificate. Both pages are secure contexts; the certificate is
 * really served, self-signed and valid for that address; plain http to the
 * port gets no page; and a video call made by clicking only (Video call,
 * Accept, End call) carries video both ways over wss:// signaling.
 *
 * Needs root; fails (never skips) with a clear message otherwise. Runs under
 * the network lock: never alongside another network suite.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { LOCK_WAIT_MS, acquireNetworkLock, createLanHost } from '../support/netns';
import type { LanHost } from '../support/netns';
import { BINARIES } from '../browser/support/engines';
import { runAll } from './helpers';

jest.setTimeout(60_000);

const root = join(__dirname, '..', '..');
const BUNDLES = ['dist/messaging-calls.umd.min.js', 'dist/messaging-calls-agent.umd.js'];

interface Demo {
  server: ChildProcess;
  site: string;
  agent: string;
  host: string;
  port: number;
  output: () => string;
}

let release: (() => void) | undefined;
let lan: LanHost | undefined;
let demo: Demo | undefined;
let browser: Browser | undefined;

/** Starts the demo server inside the LAN host; resolves with the two URLs it prints. */
function startDemo(host: LanHost): Promise<Demo> {
  return new Promise((resolve, reject) => {
    const server = host.spawn(
      process.execPath,
      [join(root, 'examples/demo/server.mjs'), '--host', '0.0.0.0', '--port', '0', '--https'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const output = () => out;
    const timer = setTimeout(() => reject(new Error(`no URLs within 20 s: ${out}`)), 20_000);
    server.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    server.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const urls = out.split('\n').filter((line) => /^https?:\/\//.test(line.trim()));
      if (urls.length >= 2) {
        clearTimeout(timer);
        const site = (urls[0] as string).trim();
        const { hostname, port } = new URL(site);
        resolve({
          server,
          site,
          agent: (urls[1] as string).trim(),
          host: hostname,
          port: Number(port),
          output,
        });
      }
    });
    server.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo server exited (${code}): ${out}`));
    });
  });
}

async function stopDemo(d: Demo | undefined): Promise<void> {
  if (!d || d.server.exitCode !== null || d.server.signalCode !== null) return;
  const exited = new Promise((resolve) => d.server.once('exit', resolve));
  d.server.kill('SIGTERM');
  await exited;
}

function current(): { demo: Demo; browser: Browser } {
  if (!demo || !browser) throw new Error('the demo or the browser did not start (see beforeAll)');
  return { demo, browser };
}

/** The certificate the server presents, read without trusting it. */
function peerCertificate(host: string, port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host, port, path: '/', rejectUnauthorized: false, agent: false });
    req.on('response', (res) => {
      const raw = (res.socket as TLSSocket).getPeerCertificate().raw;
      res.resume();
      resolve(new X509Certificate(raw));
    });
    req.on('error', reject);
  });
}

/** GETs `url` over https; resolves with the status and body, or rejects with the TLS error. */
function httpsGet(
  url: string,
  options: https.RequestOptions,
): Promise<{ status: number; body: string; authorized: boolean }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...options, agent: false });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body,
          authorized: (res.socket as TLSSocket).authorized,
        }),
      );
    });
    req.on('error', reject);
  });
}

/** GETs `url` over plain http: the status and body, or the error's code. */
function plainGet(url: string): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 5000 });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? 'error' }));
  });
}

function toPem(certificate: X509Certificate): string {
  const base64 = certificate.raw.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${base64.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/**
 * Records every RTCPeerConnection a page creates (`window.__pcs`), so that
 * the test can read its stats.
 */
function recordPeerConnections(): void {
  const w = window as unknown as { __pcs: RTCPeerConnection[] };
  w.__pcs = [];
  const Native = window.RTCPeerConnection;
  class Recorded extends Native {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      w.__pcs.push(this);
    }
  }
  window.RTCPeerConnection = Recorded;
}

interface Inbound {
  bytes: number;
  frames: number;
  connections: number;
  states: string[];
}

/** What the page's peer connections received as video so far (inbound-rtp, summed). */
function inboundVideo(page: Page): Promise<Inbound> {
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? [];
    let bytes = 0;
    let frames = 0;
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      report.forEach((s: { type: string; kind?: string } & Record<string, unknown>) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
        bytes += Number(s.bytesReceived ?? 0);
        frames += Number(s.framesDecoded ?? 0);
      });
    }
    return { bytes, frames, connections: pcs.length, states: pcs.map((pc) => pc.connectionState) };
  });
}

/** Polls `read` until it returns `want` (or fails with the last value). */
async function until<T>(
  read: () => Promise<T>,
  want: (value: T) => boolean,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await read();
  while (!want(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

/** Waits until the page's inbound video bytes and decoded frames grow from now on. */
async function videoGrows(page: Page): Promise<{ before: Inbound; after: Inbound }> {
  const before = await inboundVideo(page);
  const after = await until(
    () => inboundVideo(page),
    (now) => now.bytes > before.bytes + 10_000 && now.frames > before.frames + 10,
  );
  return { before, after };
}

/** Whether a video element of `page` (or of the UI's shadow root) shows moving frames. */
async function framesFlow(page: Page, where: 'ui' | string): Promise<boolean> {
  const read = () =>
    page.evaluate((w) => {
      const video =
        w === 'ui'
          ? document.querySelector('messaging-call-ui')?.shadowRoot?.querySelector('[part=remote]')
          : document.getElementById(w);
      const v = video as HTMLVideoElement | null | undefined;
      return v ? { width: v.videoWidth, time: v.currentTime } : null;
    }, where);
  const first = await read();
  await page.waitForTimeout(600);
  const second = await read();
  return Boolean(first && second && second.width > 0 && second.time > first.time);
}

beforeAll(async () => {
  // Another network suite may hold the lock for its whole run (about 90 s).
  release = await acquireNetworkLock(LOCK_WAIT_MS);
  for (const bundle of BUNDLES) {
    if (!existsSync(join(root, bundle))) {
      throw new Error(`${bundle} is missing: run \`npm run build\` first (npm test does).`);
    }
  }
  lan = await createLanHost();
  demo = await startDemo(lan);
  browser = await chromium.launch({
    executablePath: BINARIES.chromium.path,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}, LOCK_WAIT_MS + 60_000);

afterAll(
  () =>
    runAll([() => browser?.close(), () => stopDemo(demo), () => lan?.destroy(), () => release?.()]),
  30_000,
);

test('prints https URLs on the LAN address, not on loopback', () => {
  const { demo } = current();
  expect(lan?.ip).toBeDefined();
  expect(demo.site).toBe(`https://${lan?.ip}:${demo.port}/`);
  expect(demo.agent).toBe(`https://${lan?.ip}:${demo.port}/agent`);
  expect(demo.output()).toMatch(/self-signed/);
});

test('serves a self-signed certificate for the LAN address', async () => {
  const { demo } = current();
  const certificate = await peerCertificate(demo.host, demo.port);
  // Its own issuer, signed by its own key, for this address, valid now.
  expect(certificate.issuer).toBe(certificate.subject);
  expect(certificate.verify(certificate.publicKey)).toBe(true);
  expect(certificate.checkIP(demo.host)).toBe(demo.host);
  expect(certificate.subjectAltName).toContain(`IP Address:${demo.host}`);
  const now = Date.now();
  expect(new Date(certificate.validFrom).getTime()).toBeLessThanOrEqual(now);
  expect(new Date(certificate.validTo).getTime()).toBeGreaterThan(now);

  // Without trusting it, a client refuses it as self-signed...
  await expect(httpsGet(demo.site, {})).rejects.toMatchObject({
    code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
  });
  // ...and trusting exactly this certificate, the page loads with the host name checked.
  const trusted = await httpsGet(demo.site, { ca: toPem(certificate) });
  expect(trusted.authorized).toBe(true);
  expect(trusted.status).toBe(200);
  expect(trusted.body).toContain('<title>Northwind Bank');
});

test('plain http to the port gets no page', async () => {
  const { demo } = current();
  const answer = await plainGet(`http://${demo.host}:${demo.port}/`);
  expect(answer.body ?? '').not.toContain('Northwind Bank');
  if (answer.status !== undefined) expect(answer.status).not.toBe(200);
  else expect(answer.error).toBeDefined();
});

test('Chromium refuses the certificate unless told to accept it', async () => {
  const { demo, browser } = current();
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await expect(page.goto(demo.site)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
  } finally {
    await context.close();
  }
});

test('a video call by clicking only over https on the LAN: Video call, Accept, End call; video flows both ways', async () => {
  const { demo, browser } = current();
  const contexts: BrowserContext[] = [];
  /** Every request of either page that failed or got an error status. */
  const failed: string[] = [];
  try {
    const open = async (url: string) => {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      contexts.push(context);
      await context.addInitScript(recordPeerConnections);
      const page = await context.newPage();
      const sockets: string[] = [];
      page.on('websocket', (ws) => sockets.push(ws.url()));
      page.on('response', (r) => {
        if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
      });
      page.on('requestfailed', (r) =>
        failed.push(`${r.failure()?.errorText ?? 'failed'} ${r.url()}`),
      );
      const response = await page.goto(url);
      expect(response?.status()).toBe(200);
      return { page, sockets };
    };
    const site = await open(demo.site);
    const agent = await open(demo.agent);
    // Every resource of both pages (the bundles from dist/ included) was served.
    await site.page.waitForLoadState('load');
    await agent.page.waitForLoadState('load');
    expect(failed).toEqual([]);

    // Both pages are secure contexts on the LAN address, with camera access.
    for (const { page } of [site, agent]) {
      expect(new URL(page.url()).host).toBe(`${demo.host}:${demo.port}`);
      await expect(
        page.evaluate(() => ({
          secure: window.isSecureContext,
          protocol: location.protocol,
          media: typeof navigator.mediaDevices?.getUserMedia,
        })),
      ).resolves.toEqual({ secure: true, protocol: 'https:', media: 'function' });
    }

    // The console lists the website's tab; the agent calls it.
    const call = agent.page.getByRole('button', { name: 'Video call' }).first();
    await call.waitFor({ timeout: 15_000 });
    await call.click();

    // The consumer answers in the default UI.
    await site.page.getByRole('button', { name: 'Accept' }).click({ timeout: 10_000 });
    await site.page.waitForFunction(
      () => document.querySelector('messaging-call-ui')?.getAttribute('data-state') === 'connected',
      undefined,
      { timeout: 20_000 },
    );

    // Video flows both ways: inbound bytes and decoded frames grow on each side,
    // and each side's remote video element plays.
    for (const side of [site, agent]) {
      const { before, after } = await videoGrows(side.page);
      expect(after.bytes).toBeGreaterThan(before.bytes + 10_000);
      expect(after.frames).toBeGreaterThan(before.frames + 10);
    }
    expect(await until(() => framesFlow(site.page, 'ui'), Boolean)).toBe(true);
    expect(await until(() => framesFlow(agent.page, 'remote-video'), Boolean)).toBe(true);

    // Signaling and presence went over wss:// to the same LAN address.
    for (const side of [site, agent]) {
      expect(side.sockets.length).toBeGreaterThan(0);
      for (const url of side.sockets) {
        expect(url.startsWith(`wss://${demo.host}:${demo.port}/`)).toBe(true);
      }
    }

    // End call from the website: both sides end and close their connections.
    await site.page.getByRole('button', { name: 'End call' }).click();
    await site.page.waitForFunction(
      () => document.querySelector('messaging-call-ui')?.getAttribute('data-state') === 'ended',
    );
    expect(
      await until(
        () => agent.page.locator('#transcript').textContent(),
        (t) => /ended after/i.test(t ?? ''),
      ),
    ).toMatch(/ended after/i);
    for (const side of [site, agent]) {
      const after = await until(
        () => inboundVideo(side.page),
        (now) => now.connections > 0 && now.states.every((s) => s === 'closed'),
      );
      expect(after.connections).toBeGreaterThan(0);
      expect(after.states.every((s) => s === 'closed')).toBe(true);
    }
  } finally {
    for (const context of contexts) await context.close();
  }
});
