// A hub that accepts connections and then says nothing, served by node:http on 127.0.0.1: every
// hub request ends at its own deadline with an error naming the hub, the request and the remedy.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadRepo } from './hub-download.js';
import { DEFAULT_HUB_TIMEOUT_MS, hubFetch, HubTimeoutError, hubTimeoutMs } from './hub-fetch.js';

let silent: Server;
let silentUrl: string;
let stalling: Server;
let stallingUrl: string;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  silent = createServer(() => undefined); // reads the request, never answers
  silentUrl = await listen(silent);
  // answers the headers and the first bytes of a body, then nothing more
  stalling = createServer((_, response) => {
    response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': 1000 });
    response.write(Buffer.alloc(10));
  });
  stallingUrl = await listen(stalling);
});
afterAll(async () => {
  for (const server of [silent, stalling]) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('hub requests', () => {
  it('end at their own deadline when the hub never answers, naming the hub, the request and the remedy', async () => {
    const start = performance.now();
    const error = await downloadRepo({ repo: 'org/tiny', hubUrl: silentUrl, cacheDir: await mkdtemp(join(tmpdir(), 'hub-silent-')), timeoutMs: 500 })
      .catch((e: unknown) => e);
    const ms = performance.now() - start;
    expect(error).toBeInstanceOf(HubTimeoutError);
    expect((error as Error).message).toBe(
      `the hub at ${silentUrl} sent no answer to GET ${silentUrl}/api/models/org/tiny/revision/main within 0.5 s: ` +
      'check that the hub is up and reachable from here (--hub-url), or give it longer with EXPORT_SWEEP_HUB_TIMEOUT=<seconds>',
    );
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(5000);
  });

  it('end when a body stops flowing, with the same kind of error', async () => {
    const response = await hubFetch(stallingUrl, 300)(`${stallingUrl}/org/tiny/resolve/main/model.safetensors`);
    expect(response.status).toBe(200);
    const error = await response.arrayBuffer().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HubTimeoutError);
    expect((error as Error).message).toMatch(new RegExp(`^the hub at ${stallingUrl} sent no further bytes to GET ${stallingUrl}/org/tiny/resolve/main/model.safetensors within 0.3 s`));
  });

  it('end at once when the caller aborts', async () => {
    const closing = new AbortController();
    const pending = hubFetch(silentUrl, 60_000, closing.signal)(`${silentUrl}/api/models/org/tiny/revision/main`);
    closing.abort(new Error('the sweep is closing'));
    await expect(pending).rejects.toThrow('the sweep is closing');
  });

  it('take their deadline from EXPORT_SWEEP_HUB_TIMEOUT in seconds, and refuse a bad one', () => {
    expect(hubTimeoutMs({})).toBe(DEFAULT_HUB_TIMEOUT_MS);
    expect(hubTimeoutMs({ EXPORT_SWEEP_HUB_TIMEOUT: '2.5' })).toBe(2500);
    expect(() => hubTimeoutMs({ EXPORT_SWEEP_HUB_TIMEOUT: 'soon' })).toThrow(/EXPORT_SWEEP_HUB_TIMEOUT='soon' is not a positive number of seconds/);
  });
});
