/**
 * The README's marked code blocks work against the built package (`npm test`
 * builds before it runs jest). A block is marked by an HTML comment before
 * its opening fence (blank lines between them only):
 *
 *   <!-- run node prints="…" -->      a JavaScript (or TypeScript) ES module,
 *                                     run by Node; it must exit 0 within 30 s
 *                                     and print every `prints` text
 *   <!-- run chromium shows="css" --> an HTML snippet, loaded in Chromium
 *                                     from 127.0.0.1 with `/assets/` serving
 *                                     dist/; no uncaught error, and the
 *                                     `shows` selector (optional) appears
 *   <!-- typecheck -->                TypeScript for the browser, checked by
 *                                     tsc (strict, DOM) against the package's
 *                                     declarations
 *
 * 'messaging-calls' resolves to this repository: the blocks are written under
 * .tmp/ inside it, where Node and TypeScript resolve the package's own name
 * through its "exports" (and its devDependencies, such as wrtc, from
 * node_modules). example.com never resolves in Chromium, so no block reaches
 * the internet.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { transformSync } from 'esbuild';
import { chromium } from 'playwright-core';
import ts from 'typescript';

jest.setTimeout(90_000);

const root = join(__dirname, '..', '..');
const work = join(root, '.tmp', 'readme');
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface Block {
  /** 1-based line of the opening fence in README.md. */
  line: number;
  kind: 'node' | 'chromium' | 'typecheck';
  lang: string;
  code: string;
  prints: string[];
  shows?: string;
}

const MARKER = /^<!--\s*(run\s+node|run\s+chromium|typecheck)\b(.*?)-->\s*$/;
const FENCE = /^(`{3,})\s*([\w-]*)/;

/** The marked blocks of a Markdown text; a marker not followed by a fence is an error. */
function markedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!/^<!--\s*(run|typecheck)\b/.test(line)) continue;
    const marker = MARKER.exec(line);
    if (!marker) throw new Error(`README.md:${i + 1}: unknown marker ${line}`);
    let open = i + 1;
    while (open < lines.length && (lines[open] ?? '').trim() === '') open++;
    const fence = FENCE.exec(lines[open] ?? '');
    if (!fence) throw new Error(`README.md:${i + 1}: the marker is not followed by a fence`);
    const close = lines.findIndex((l, j) => j > open && l.trim() === fence[1]);
    if (close < 0) throw new Error(`README.md:${open + 1}: the fence is never closed`);
    const attrs = marker[2] ?? '';
    const kind = marker[1]!.replace(/^run\s+/, '') as Block['kind'];
    blocks.push({
      line: open + 1,
      kind,
      lang: fence[2] ?? '',
      code: lines.slice(open + 1, close).join('\n') + '\n',
      prints: [...attrs.matchAll(/prints="([^"]*)"/g)].map((m) => m[1]!),
      shows: /shows="([^"]*)"/.exec(attrs)?.[1],
    });
    i = close;
  }
  return blocks;
}

function run(
  command: string,
  args: string[],
  timeoutMs: number,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => {
      out += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Runs a block in Node; resolves to a failure message, or null when it passed. */
async function runInNode(block: Block): Promise<string | null> {
  const file = join(work, `block-${block.line}.mjs`);
  const code = block.lang.startsWith('ts')
    ? transformSync(block.code, { loader: 'ts', format: 'esm' }).code
    : block.code;
  writeFileSync(file, code);
  const { code: exit, out } = await run(process.execPath, [file], 30_000);
  const missing = block.prints.filter((text) => !out.includes(text));
  if (exit === 0 && missing.length === 0) return null;
  return (
    `README.md:${block.line}: ` +
    (exit !== 0 ? `exited with ${exit}` : `did not print ${JSON.stringify(missing)}`) +
    `\n--- output ---\n${out}`
  );
}

/** Type-checks the typecheck blocks together; one message per block with errors. */
function typecheck(blocks: Block[]): string[] {
  const files = blocks.map((block) => {
    // A module of its own each, so that blocks do not share names.
    const file = join(work, `block-${block.line}.ts`);
    writeFileSync(
      file,
      block.code + (/^\s*(import|export)\s/m.test(block.code) ? '' : 'export {};\n'),
    );
    return file;
  });
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    strict: true,
    noEmit: true,
    types: [],
  });
  const messages = new Map<string, string[]>();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const key = d.file?.fileName ?? '';
    const at =
      d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null;
    const where = at ? `line ${at.line + 1} of the block` : 'the program';
    messages.set(key, [...(messages.get(key) ?? []), `${where}: ${text}`]);
  }
  return blocks.flatMap((block, i) => {
    const errors = messages.get(files[i]!);
    return errors ? [`README.md:${block.line}: does not type-check\n${errors.join('\n')}`] : [];
  });
}

/** Serves one page at `/` and dist/ at `/assets/`, on 127.0.0.1. */
async function serve(html: string) {
  const dist = join(root, 'dist');
  const server = createServer((request, response) => {
    void (async () => {
      const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
      if (path === '/') {
        response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html);
        return;
      }
      const file = normalize(join(dist, path.replace(/^\/assets\//, '')));
      if (path.startsWith('/assets/') && file.startsWith(dist + sep) && existsSync(file)) {
        const type = extname(file) === '.js' ? 'text/javascript' : 'application/octet-stream';
        response.writeHead(200, { 'Content-Type': type }).end(await readFile(file));
        return;
      }
      response.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = markedBlocks(readme);
const of = (kind: Block['kind']) => blocks.filter((block) => block.kind === kind);

beforeAll(() => {
  for (const file of ['messaging-calls.mjs', 'messaging-calls.umd.min.js']) {
    if (!existsSync(join(root, 'dist', file))) {
      throw new Error(`dist/${file} is missing: run npm run build first`);
    }
  }
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

test('README has marked blocks of every kind', () => {
  expect(of('node').length).toBeGreaterThanOrEqual(1);
  expect(of('chromium').length).toBeGreaterThanOrEqual(1);
  expect(of('typecheck').length).toBeGreaterThanOrEqual(1);
});

test('the Node blocks run against the built package', async () => {
  const failures: string[] = [];
  for (const block of of('node')) {
    const failure = await runInNode(block);
    if (failure) failures.push(failure);
  }
  expect(failures).toEqual([]);
});

test('the browser TypeScript blocks type-check against the package', () => {
  expect(typecheck(of('typecheck'))).toEqual([]);
});

test('the HTML blocks run in Chromium without an uncaught error', async () => {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: run \`apt-get install -y chromium\``);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--host-resolver-rules=MAP example.com ~NOTFOUND, MAP *.example.com ~NOTFOUND',
    ],
  });
  const failures: string[] = [];
  try {
    for (const block of of('chromium')) {
      const html = `<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>README block</title></head>\n<body>\n${block.code}</body>\n</html>\n`;
      const server = await serve(html);
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(String(error)));
      page.on('requestfailed', (request) => {
        if (request.url().startsWith(server.url)) errors.push(`failed to load ${request.url()}`);
      });
      page.on('response', (response) => {
        if (response.url().startsWith(server.url) && response.status() >= 400) {
          errors.push(`${response.status()} for ${response.url()}`);
        }
      });
      try {
        await page.goto(server.url, { waitUntil: 'load' });
        if (block.shows) {
          await page
            .locator(block.shows)
            .first()
            .waitFor({ state: 'attached', timeout: 5_000 })
            .catch(() => errors.push(`nothing matches ${block.shows}`));
        }
        await page.waitForTimeout(300); // errors thrown just after load
      } finally {
        await page.close();
        await server.close();
      }
      if (errors.length) failures.push(`README.md:${block.line}:\n${errors.join('\n')}`);
    }
  } finally {
    await browser.close();
  }
  expect(failures).toEqual([]);
});
