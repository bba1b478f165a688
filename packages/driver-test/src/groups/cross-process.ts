import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { SuiteContext } from '../fixture.js';
import type { CrossProcessOptions } from '../types.js';

const TITLE = 'sharedHeads and persistent: processes racing compare-and-swaps on one file lose no acknowledged update';

/** How many processes race, and how many versions each adds. */
const PROCESSES = 3;
const ROUNDS = 8;

interface ChildReport {
  acknowledged: string[];
  conflicts: number;
}

/**
 * The child script next to this file (TypeScript in the workspace, JavaScript once built). A
 * TypeScript child runs the workspace's sources (the `gitty-source` condition), as its parent does.
 */
function childCommand(task: object): { args: string[] } {
  const self = fileURLToPath(import.meta.url);
  const source = self.endsWith('.ts');
  const script = fileURLToPath(new URL(`../cross-process-child.${source ? 'ts' : 'js'}`, import.meta.url));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { args: [...(source ? ['--conditions=gitty-source'] : []), '--import', tsx, script, JSON.stringify(task)] };
}

/** A started contender: resolves `ready` once it opened the store, `done` with its report. */
function contender(task: object): { child: ChildProcess; ready: Promise<void>; done: Promise<ChildReport> } {
  const child = spawn(process.execPath, childCommand(task).args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let signalReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (signalReady = resolve));
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.startsWith('ready\n')) signalReady();
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin?.on('error', () => undefined); // a child that already died cannot read "go"
  const done = new Promise<ChildReport>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`a racing process failed (exit ${code}): ${err.trim() || out.trim()}`));
      else resolve(JSON.parse(last) as ChildReport);
    });
  });
  // A child that dies before "ready" must not leave the race waiting forever.
  return { child, ready: Promise.race([ready, done.then(() => undefined)]), done };
}

/**
 * The CAS across real processes: "two drivers" tests in one process cannot catch a driver whose
 * lock is only in memory. Child processes open the fixture's store through the author's
 * `crossProcess` module and race updates of one file; every update a process was told was
 * written must be in the file's history, which must be one unbroken chain.
 */
export function crossProcessTests(ctx: SuiteContext): void {
  const { test, expect, it } = ctx;
  // Wrapping changes nothing another process does: the race runs in the direct run only.
  if (ctx.wrapped) return;
  const crossProcess: CrossProcessOptions | undefined = ctx.options.crossProcess;
  test.describe('compare-and-swap across processes', () => {
    // Capabilities are known only once the factory ran, so the gate is in the test, as in the
    // other groups: a driver that is not sharedHeads + persistent has no other process to race.
    it(TITLE, async (fixture, runner) => {
      const { sharedHeads, persistent } = fixture.driver.capabilities;
      if (!sharedHeads || !persistent) return; // no other process can open this store
      if (!crossProcess) {
        runner.skip('a crossProcess module');
        return;
      }
      if (fixture.location === undefined) throw new Error('crossProcess needs the factory to return the store\'s location');
      const store = await fixture.store();
      const name = 'cross-process-race.txt';
      const start = await store.create(name, 'start\n');
      const contenders = Array.from({ length: PROCESSES }, (_, i) => contender({
        module: crossProcess.module, exportName: crossProcess.exportName, location: fixture.location,
        name, rounds: Math.max(2, Math.round(ROUNDS * ctx.scale)), id: `process ${i}`,
      }));
      try {
        await Promise.all(contenders.map((c) => c.ready));
        for (const c of contenders) c.child.stdin?.end('go\n');
        const reports = await Promise.all(contenders.map((c) => c.done));
        await store.rescan();
        const chain: string[] = [];
        for await (const commit of store.walk(name)) chain.push(commit.commit);
        const acknowledged = reports.flatMap((r) => r.acknowledged);
        expect(chain.at(-1)).toBe(start.commit);
        // Every acknowledged update is in the one history, which has nothing else.
        expect(chain.length).toBe(acknowledged.length + 1);
        expect(acknowledged.filter((commit) => !chain.includes(commit))).toEqual([]);
      } finally {
        for (const c of contenders) if (c.child.exitCode === null) c.child.kill('SIGKILL');
      }
    });
  });
}
