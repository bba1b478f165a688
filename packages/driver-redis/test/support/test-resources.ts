// What the redis driver's tests start and open — redis-servers, TCP proxies, nodes in this
// process, node child processes, temporary directories — each released after every test,
// children first and temporary directories last, so no test leaves a process or a file behind.
import { afterEach } from 'vitest';
import { startTcpProxy, tempDir, type RedisServer, type TcpProxy } from '@gitty/driver-test/harness';
import { innerFor, openNode, type LocalNode } from '../helpers.js';
import type { NodeProcess } from '../node-process.js';

/** A test file's resources: push what a test starts onto these; {@link useTestResources} releases them. */
export interface TestResources {
  open: LocalNode[];
  processes: NodeProcess[];
  proxies: TcpProxy[];
  servers: RedisServer[];
  dirs: Array<{ remove: () => Promise<void> }>;
  /** A new temporary directory, removed after the test. */
  dir(): Promise<string>;
  /** A TCP proxy to `port` on loopback, stopped after the test. */
  proxied(port: number): Promise<TcpProxy>;
  /** A node in this process with its inner store and its state in a new temporary directory. */
  node(url: string, storeId: string, options?: Record<string, unknown>): Promise<LocalNode>;
}

/**
 * The resources of the tests in one file, released after each test (vitest `afterEach`).
 * `prefix` names their temporary directories.
 */
export function useTestResources(prefix: string): TestResources {
  const resources: TestResources = {
    open: [],
    processes: [],
    proxies: [],
    servers: [],
    dirs: [],
    async dir() {
      const made = await tempDir(prefix);
      resources.dirs.push(made);
      return made.dir;
    },
    async proxied(port) {
      const proxy = await startTcpProxy(port);
      resources.proxies.push(proxy);
      return proxy;
    },
    async node(url, storeId, options = {}) {
      const d = await resources.dir();
      const opened = await openNode({ url, storeId, inner: innerFor(d), stateDir: d, ...options });
      resources.open.push(opened);
      return opened;
    },
  };
  afterEach(async () => {
    for (const p of resources.processes.splice(0)) await p.stop();
    for (const node of resources.open.splice(0)) await node.store.close();
    for (const proxy of resources.proxies.splice(0)) await proxy.stop();
    for (const server of resources.servers.splice(0)) await server.stop();
    for (const dir of resources.dirs.splice(0)) await dir.remove();
  });
  return resources;
}
