/**
 * Every Redis key and channel of one replicated store. All share the cluster hash tag
 * `{<storeId>}`, so a store lives in one slot and Lua scripts and MULTI work on Redis Cluster.
 * We build names ourselves instead of using ioredis `keyPrefix`, which covers neither pub/sub
 * channels nor the keys inside stream replies.
 */
export class StoreKeys {
  /** `<prefix>:{<storeId>}:`, the start of every key and channel. */
  readonly base: string;
  /** Hash: file name → head commit. */
  readonly heads: string;
  /** Hash: file name → stamp (`<generation>:<seq>`) of its last change; deleted names keep theirs (tombstones). */
  readonly stamps: string;
  /** Stream: object announcements and head events, in the order the CAS made them. */
  readonly stream: string;
  /** String: `<generation>:<random>`; missing means Redis lost the store (flush, restart). */
  readonly epoch: string;
  /** Counter: the sequence number of the newest stream entry of this generation. */
  readonly seq: string;
  /** Redis time (ms) when a generation was started after a loss: writes wait `settleMs` from it. */
  readonly epochAt: string;
  /**
   * String: the run id of the redis-server process the current generation was started or
   * checked on. Another run id means Redis restarted or failed over since, and may have lost
   * acknowledged changes (a snapshot, a lagging replica) that no node has merged back yet.
   */
  readonly server: string;
  /**
   * Hash: node id → the generation that node last joined (merged its heads into, or started
   * following with nothing to merge). After a loss, writes wait for every node that was active
   * in the lost generation (a value at or above {@link lostFrom}) to join the new one.
   */
  readonly members: string;
  /** String: the generation a loss took away; members still at or above it have not merged yet. */
  readonly lostFrom: string;
  /** Channel: a node missing an object asks here (message: the hash). */
  readonly fetchChannel: string;
  /** Channel: a peer announces here that an answer waits under {@link objectKey}. */
  readonly readyChannel: string;

  constructor(
    readonly prefix: string,
    readonly storeId: string,
  ) {
    this.base = `${prefix}:{${storeId}}:`;
    this.heads = `${this.base}heads`;
    this.stamps = `${this.base}stamps`;
    this.stream = `${this.base}stream`;
    this.epoch = `${this.base}epoch`;
    this.seq = `${this.base}seq`;
    this.epochAt = `${this.base}epoch-at`;
    this.server = `${this.base}server`;
    this.members = `${this.base}members`;
    this.lostFrom = `${this.base}lost-from`;
    this.fetchChannel = `${this.base}fetch`;
    this.readyChannel = `${this.base}ready`;
  }

  /** Short-lived: the outcome of one CAS request, so a resent request is not applied twice. */
  requestKey(requestId: string): string {
    return `${this.base}req:${requestId}`;
  }

  /** Short-lived: compressed bytes of a large announced object, or of a fetch answer. */
  objectKey(hash: string): string {
    return `${this.base}obj:${hash}`;
  }

  /** Short-lived `SET NX` claim: the one peer that answers a fetch of `hash`. */
  claimKey(hash: string): string {
    return `${this.base}claim:${hash}`;
  }
}

/** Orders stream ids (`<ms>-<seq>`) numerically; negative when a < b. */
export function compareStreamIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const s = BigInt(as) - BigInt(bs);
  return s === 0n ? 0 : s < 0n ? -1 : 1;
}

/**
 * A stamp orders the changes of one name across Redis generations: `<generation>:<seq>`.
 * `0:0` is the stamp of a local head whose origin is unknown (it loses to any known change).
 */
export function compareStamps(a: string, b: string): number {
  const [ag = 0, as = 0] = a.split(':').map(Number);
  const [bg = 0, bs = 0] = b.split(':').map(Number);
  return ag !== bg ? Math.sign(ag - bg) : Math.sign(as - bs);
}

/** The generation number of an epoch value `<generation>:<random>` (0 for none). */
export function generationOf(epoch: string | null | undefined): number {
  if (!epoch) return 0;
  const gen = Number(epoch.split(':')[0]);
  return Number.isSafeInteger(gen) && gen >= 0 ? gen : 0;
}

/** The stamp of a local head whose origin is unknown. */
export const UNKNOWN_STAMP = '0:0';

/**
 * A stamp as it may be kept in the generation of `epoch`: one from a later generation (written by
 * code that numbered generations by a node's clock, or forged) becomes `<generation>:0`, ranked
 * above every older generation and below every change of this one. Kept as is, it would outrank
 * every later change of its name, so every node would ignore them (the name frozen).
 */
export function boundedStamp(stamp: string, epoch: string | null): string {
  const gen = generationOf(epoch);
  const [stampGen = 0] = stamp.split(':').map(Number);
  return stampGen > gen ? `${gen}:0` : stamp;
}
