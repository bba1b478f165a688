// Node B of the latency measurement: prints "<commit> <time readable>" for every remote head.
import { defaultDriverContext, openStore, registerDriver, type DriverFactory } from '@gitty/core';
import { createDriver } from '../src/index.js';

const config = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
if ((config.inner as { driver?: string }).driver === 'files') {
  registerDriver('files', ((await import('@gitty/driver-files' as string)) as { createDriver: DriverFactory }).createDriver);
}
const store = await openStore(await createDriver(config, defaultDriverContext()));
const now = () => performance.timeOrigin + performance.now();
let out = '';
store.on('head', (event) => {
  if (event.origin !== 'remote' || !event.new) return;
  void store.get(event.name).then((version) => {
    // Readable: the head and its blob are local. Lines are batched to keep stdout off the path.
    out += `${version.commit.commit} ${now()}\n`;
    if (out.length > 4096) {
      process.stdout.write(out);
      out = '';
    }
  });
});
setInterval(() => {
  if (out) process.stdout.write(out);
  out = '';
}, 50);
console.log('ready');
process.stdin.on('end', () => void store.close().then(() => process.exit(0)));
process.stdin.resume();
