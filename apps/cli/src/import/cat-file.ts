import { CliError } from '../errors.js';
import { GitChild } from './git-process.js';

/** One object read from git. */
export interface GitObjectData {
  type: string;
  data: Uint8Array;
}

/** Answers held before git is made to wait (an object larger than this is still read whole). */
export const HIGH_WATER = 8 * 1024 * 1024;

/** An object asked for and not yet read: its answer is read from git's output by `take()`. */
export interface PendingObject {
  /** Read the answer (once; later calls give the same promise). Take requests in the order they were made. */
  take(): Promise<GitObjectData>;
}

/**
 * One `git cat-file --batch` process for every object an import reads: a request is a hash on
 * its stdin, the answer `<hash> <type> <size>\n<bytes>\n` on stdout, in request order. Requests
 * are written at once, so a caller may ask for several objects ahead (git works while the
 * store writes), but answers are read only when taken: git's output is buffered up to
 * {@link HIGH_WATER} bytes, then paused (git waits) — memory stays bounded however large the
 * objects asked for ahead are.
 */
export class CatFile {
  private readonly git: GitChild;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the current answer needs (an answer larger than HIGH_WATER must not pause git). */
  private wanted = 0;
  private ended = false;
  private wake: (() => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private requested = 0;
  private taken = 0;

  constructor(repo: string) {
    this.git = new GitChild(repo, ['cat-file', '--batch']);
    const stdout = this.git.process.stdout;
    stdout.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      if (this.buffered > Math.max(HIGH_WATER, this.wanted)) stdout.pause();
      this.wake?.();
    });
    stdout.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
  }

  /** Ask git for the object `hash` (full 40 digits) now; read it later with `take()`. */
  request(hash: string): PendingObject {
    this.git.process.stdin.write(`${hash}\n`);
    const position = this.requested++;
    let answer: Promise<GitObjectData> | undefined;
    return {
      take: () => {
        if (answer) return answer;
        if (position !== this.taken) throw new Error(`cat-file answers are taken in request order (${position} before ${this.taken})`);
        this.taken++;
        answer = this.queue.then(() => this.readAnswer(hash));
        this.queue = answer.catch(() => undefined);
        return answer;
      },
    };
  }

  /** The object `hash`; GIT_FAILED when git does not have it. */
  read(hash: string): Promise<GitObjectData> {
    return this.request(hash).take();
  }

  /** Answer bytes git has written that are not taken yet (for tests of the bound). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** End the process. */
  close(): Promise<void> {
    this.git.process.stdin.end();
    return this.git.stop();
  }

  private async readAnswer(hash: string): Promise<GitObjectData> {
    const header = (await this.take(await this.lineLength())).toString('utf8');
    const [, type, size] = header.trimEnd().split(' ');
    if (type === undefined || size === undefined || header.endsWith('missing\n')) {
      throw new CliError('GIT_FAILED', `git cat-file has no object ${hash} (${header.trim()})`);
    }
    const data = await this.take(Number(size) + 1); // the object and its terminating newline
    return { type, data: data.subarray(0, data.length - 1) };
  }

  /** Bytes up to and including the next newline, once they have arrived. */
  private async lineLength(): Promise<number> {
    for (;;) {
      let offset = 0;
      for (const chunk of this.chunks) {
        const nl = chunk.indexOf(10);
        if (nl !== -1) return offset + nl + 1;
        offset += chunk.length;
      }
      await this.more();
    }
  }

  /** Exactly `length` bytes, as one fresh buffer (so an object never shares memory with the next). */
  private async take(length: number): Promise<Buffer> {
    this.wanted = length;
    while (this.buffered < length) await this.more();
    this.wanted = 0;
    const out = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const chunk = this.chunks[0] as Buffer;
      const used = Math.min(chunk.length, length - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    this.buffered -= length;
    if (this.buffered <= HIGH_WATER) this.git.process.stdout.resume();
    return out;
  }

  private async more(): Promise<void> {
    if (this.ended) {
      await this.git.finished();
      throw new CliError('GIT_FAILED', 'git cat-file ended early');
    }
    this.git.process.stdout.resume(); // more is needed than is buffered: let git write
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
  }
}
