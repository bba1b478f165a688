import type { StoreConfig } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { startServer, type RunningServer, type ServerOptions } from '../src/index.js';

/** A store to serve: its config and how to remove what it left behind. */
export interface StoreSetup {
  config: StoreConfig;
  cleanup: () => Promise<void>;
}

/** A driver the API tests run against: a name and a fresh, empty store per call. */
export interface DriverCase {
  name: string;
  open: () => Promise<StoreSetup>;
}

function onDisk(driver: string): DriverCase {
  return {
    name: driver,
    open: async () => {
      const temp = await tempDir(`gitty-server-${driver}-`);
      return { config: { driver, dir: temp.dir }, cleanup: temp.remove };
    },
  };
}

const ALL_DRIVER_CASES: DriverCase[] = [
  { name: 'memory', open: async () => ({ config: { driver: 'memory' }, cleanup: async () => {} }) },
  onDisk('files'),
  onDisk('sqlite'),
];

/**
 * The drivers whose API tests run: every built-in driver with a local store, or those named in
 * `GITTY_SERVER_TEST_DRIVERS` (comma-separated). Mutation runs name one: the server's code is
 * the same whichever driver is under it, and each surviving mutant re-runs every covering test.
 */
export const DRIVER_CASES: DriverCase[] = selectDrivers(process.env.GITTY_SERVER_TEST_DRIVERS);

function selectDrivers(names: string | undefined): DriverCase[] {
  if (!names) return ALL_DRIVER_CASES;
  const wanted = names.split(',').map((name) => name.trim());
  const unknown = wanted.filter((name) => !ALL_DRIVER_CASES.some((c) => c.name === name));
  if (unknown.length > 0) throw new Error(`GITTY_SERVER_TEST_DRIVERS names unknown drivers: ${unknown.join(', ')}`);
  return ALL_DRIVER_CASES.filter((c) => wanted.includes(c.name));
}

/** A started server and a small fetch client for it. */
export interface TestServer {
  server: RunningServer;
  url: string;
  call: (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<Reply>;
  close: () => Promise<void>;
}

/** A response: status, headers, the JSON body (or undefined) and the raw text. */
export interface Reply {
  status: number;
  headers: Headers;
  json: Record<string, unknown> & { [key: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

/** `fetch` against a server, JSON in and out. A string body is sent as is (malformed JSON tests). */
export async function call(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(url + path, init);
  const text = await res.text();
  let json: Reply['json'];
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = {};
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** Start a server on a free loopback port. */
export async function startTestServer(options: ServerOptions): Promise<TestServer> {
  const server = await startServer({ port: 0, host: '127.0.0.1', ...options });
  return {
    server,
    url: server.url,
    call: (method, path, body, headers) => call(server.url, method, path, body, headers),
    close: () => server.close(),
  };
}

/** A reader of `/events`: collects `head` events; `close()` aborts the stream. */
export interface EventReader {
  events: Array<{ name: string; old: string | null; new: string | null; origin: string }>;
  comments: string[];
  ended: Promise<void>;
  close: () => void;
}

/** Open `/events` and parse the stream as it arrives. Resolves once the stream is connected. */
export async function readEvents(url: string): Promise<EventReader> {
  const abort = new AbortController();
  const res = await fetch(`${url}/events`, { signal: abort.signal });
  if (!res.ok || !res.body) throw new Error(`/events answered ${res.status}`);
  const reader: EventReader = { events: [], comments: [], ended: Promise.resolve(), close: () => abort.abort() };
  const decoder = new TextDecoder();
  let buffer = '';
  reader.ended = (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) reader.comments.push(line.slice(1).trim());
            if (line.startsWith('data: ')) reader.events.push(JSON.parse(line.slice(6)));
          }
        }
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
  })();
  return reader;
}
