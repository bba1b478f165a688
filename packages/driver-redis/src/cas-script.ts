import type { Cluster, Redis } from 'ioredis';
import type { StoreKeys } from './keys.js';

/** A standalone or cluster client: all our keys share one slot, so both behave alike. */
export type RedisClient = Redis | Cluster;

// Appends the head event (and, first, the objects' announcement) in the same atomic step as
// the CAS, so a replica always reads an object's bytes before the head that needs it.
// The request key makes a resent request (reply lost) return the first outcome instead of
// applying twice; the epoch check refuses writes into a Redis that lost the store until the
// node has re-seeded it, and the counter check refuses writes into a Redis whose sequence is
// below what the node has already seen (restarted from an older copy of the same epoch): such
// a write would reuse sequence numbers and stamps of acknowledged changes that Redis lost.
// After a loss, writes wait settleMs (Redis time) so that nodes which lag a little merge their
// newer changes before anyone writes over the older heads the first re-seeding node brought.
// Time alone cannot tell when every node has merged: a node whose link is slow or cut off for
// longer than settleMs may hold the only copy of acknowledged changes Redis lost (the others
// lag behind the stream, or never read them). So writes also wait, up to mergeWaitMs after the
// loss, until every member that was active in the lost generation has joined the new one.
// The run id check refuses every write into a redis-server process other than the one the
// generation was started on: a Redis restarted from an older snapshot (or a promoted lagging
// replica) keeps the epoch and may keep a counter above what a lagging node saw, so only the
// restart itself reliably tells that acknowledged changes may be gone. The node then starts a
// new generation (with the settling pause) so that every node merges before anyone writes.
const RUN_ID_LUA = `local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)') or ''`;

const CAS_LUA = `
local done = redis.call('GET', KEYS[6])
if done then return {'ok', done} end
local epoch = redis.call('GET', KEYS[4])
if epoch ~= ARGV[1] then return {'epoch', epoch or ''} end
${RUN_ID_LUA}
if redis.call('GET', KEYS[8]) ~= run then return {'restarted', run} end
local counter = tonumber(redis.call('GET', KEYS[5]) or '0')
if counter < tonumber(ARGV[9]) then return {'regressed', tostring(counter)} end
local gen = string.match(ARGV[1], '^(%d+):') or '0'
local lostAt = redis.call('GET', KEYS[7])
if lostAt then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local wait = tonumber(lostAt) + tonumber(ARGV[11]) - now
  if wait > 0 then return {'settling', tostring(wait)} end
  if now < tonumber(lostAt) + tonumber(ARGV[12]) then
    local from = tonumber(redis.call('GET', KEYS[10]) or '0')
    local members = redis.call('HGETALL', KEYS[9])
    for i = 1, #members, 2 do
      local joined = tonumber(members[i + 1]) or 0
      if members[i] ~= ARGV[8] and joined >= from and joined < tonumber(gen) then return {'awaiting', members[i]} end
    end
  end
end
local current = redis.call('HGET', KEYS[1], ARGV[2]) or ''
if current ~= ARGV[3] then return {'conflict', current} end
local n = tonumber(ARGV[10])
if n > 0 then
  local seq = redis.call('INCR', KEYS[5])
  local args = {'XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'seq', seq, 'type', 'objects', 'node', ARGV[8]}
  for i = 13, 12 + n * 2 do args[#args + 1] = ARGV[i] end
  redis.call(unpack(args))
end
local seq = redis.call('INCR', KEYS[5])
local stamp = gen .. ':' .. seq
if ARGV[4] == '' then redis.call('HDEL', KEYS[1], ARGV[2]) else redis.call('HSET', KEYS[1], ARGV[2], ARGV[4]) end
redis.call('HSET', KEYS[2], ARGV[2], stamp)
local id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'seq', seq, 'type', 'head', 'name', ARGV[2],
  'old', current, 'new', ARGV[4], 'node', ARGV[8], 'stamp', stamp)
local reply = id .. ' ' .. stamp
redis.call('SET', KEYS[6], reply, 'PX', ARGV[7])
return {'ok', reply}
`;

// Objects stored without a head change yet (flushed at close): announced on their own.
const ANNOUNCE_LUA = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
local seq = redis.call('INCR', KEYS[3])
local args = {'XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'seq', seq, 'type', 'objects', 'node', ARGV[3]}
for i = 5, 4 + tonumber(ARGV[4]) * 2 do args[#args + 1] = ARGV[i] end
redis.call(unpack(args))
return 1
`;

// Re-seeding after Redis lost the store, or a node joining a newer generation: for each
// (name, head or '', stamp) keep whichever of Redis's and the node's states has the higher
// stamp. Deletions carry stamps too (tombstones), so a stale copy never resurrects a file that
// any node saw deleted, and a later create beats an older delete. Every change is announced
// as a head event so nodes already following the stream learn it. A stamp from a later
// generation than this one (numbered by a node's clock before generations came from Redis's, or
// forged) is taken as this generation's `<gen>:0`: kept as is, it would outrank every later
// change of its name and freeze it on every node.
const MERGE_LUA = `
if redis.call('GET', KEYS[5]) ~= ARGV[1] then return -1 end
local function newer(a, b)
  local ag, as = string.match(a, '^(%d+):(%d+)$')
  local bg, bs = string.match(b, '^(%d+):(%d+)$')
  if not ag then return false end
  if not bg then return true end
  ag, as, bg, bs = tonumber(ag), tonumber(as), tonumber(bg), tonumber(bs)
  return ag > bg or (ag == bg and as > bs)
end
local changed = 0
local gen = string.match(ARGV[1], '^(%d+):') or '0'
for i = 4, #ARGV, 3 do
  local name, head, stamp = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local sg = string.match(stamp, '^(%d+):')
  if sg and tonumber(sg) > tonumber(gen) then stamp = gen .. ':0' end
  local have = redis.call('HGET', KEYS[2], name)
  if (not have) or newer(stamp, have) then
    local current = redis.call('HGET', KEYS[1], name) or ''
    redis.call('HSET', KEYS[2], name, stamp)
    if current ~= head then
      if head == '' then redis.call('HDEL', KEYS[1], name) else redis.call('HSET', KEYS[1], name, head) end
      local seq = redis.call('INCR', KEYS[4])
      redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[2], '*', 'seq', seq, 'type', 'head', 'name', name,
        'old', current, 'new', head, 'node', ARGV[3], 'stamp', stamp)
      changed = changed + 1
    end
  end
end
return changed
`;

// Start a newer generation only if the epoch is still the one the node saw (or missing). The
// new generation starts with an empty stream and counter, like after a flush: entries of the
// old one (possibly rolled back) must not be replayed under the new epoch.
// After a loss it records the generation that was lost (the one the node followed): members
// that joined it or a later one are waited for; older members (a node gone for a whole
// generation) are dropped, so a node that left for good costs at most one wait.
// The generation number is Redis's own clock in ms, raised to the floor the node passes (above
// every generation it saw): never one node's wall clock, which may have jumped ahead (NTP step,
// VM resume) and would then outrank every generation started later by a node that never saw it.
const EPOCH_LUA = `
local current = redis.call('GET', KEYS[1]) or ''
if current == ARGV[1] then
  ${RUN_ID_LUA}
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local gen = math.max(tonumber(ARGV[2]), now)
  local next = string.format('%.0f', gen) .. ':' .. ARGV[3]
  redis.call('SET', KEYS[1], next)
  redis.call('SET', KEYS[5], run)
  redis.call('DEL', KEYS[2], KEYS[3])
  if ARGV[4] == '1' then
    redis.call('SET', KEYS[4], string.format('%.0f', now))
    redis.call('SET', KEYS[7], ARGV[5])
    local members = redis.call('HGETALL', KEYS[6])
    for i = 1, #members, 2 do
      if (tonumber(members[i + 1]) or 0) < tonumber(ARGV[5]) then redis.call('HDEL', KEYS[6], members[i]) end
    end
  else
    redis.call('DEL', KEYS[4], KEYS[7])
  end
  return next
end
return current
`;

// A node joins the generation: it has merged everything it holds into it (or had nothing to
// merge), so nobody needs to wait for it. It also passes the members it knows with the
// generation each last joined, so that after a flush (which took the members away too) the
// nodes that have not merged yet are known and waited for; members older than the lost
// generation are not brought back. Leaving (close) removes the node.
const JOIN_LUA = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
local gen = tonumber(string.match(ARGV[1], '^(%d+):') or '0')
local from = tonumber(redis.call('GET', KEYS[3]) or '0')
if ARGV[3] == 'leave' then
  redis.call('HDEL', KEYS[1], ARGV[2])
  return 1
end
for i = 4, #ARGV, 2 do
  local known = tonumber(ARGV[i + 1]) or 0
  local have = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '-1')
  if ARGV[i] ~= ARGV[2] and known >= from and known < gen and known > have then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
redis.call('HSET', KEYS[1], ARGV[2], string.format('%.0f', gen))
return 1
`;

interface ReplicaCommands {
  gittyCas(...args: Array<string | Buffer | number>): Promise<[string, string]>;
  gittyAnnounce(...args: Array<string | Buffer | number>): Promise<number>;
  gittyMerge(...args: Array<string | number>): Promise<number>;
  gittyEpoch(...args: string[]): Promise<string>;
  gittyJoin(...args: string[]): Promise<number>;
}

/** Register the scripts on a client (EVALSHA with a fallback to EVAL, via ioredis). */
export function defineReplicaCommands(client: RedisClient): void {
  client.defineCommand('gittyCas', { numberOfKeys: 10, lua: CAS_LUA });
  client.defineCommand('gittyAnnounce', { numberOfKeys: 3, lua: ANNOUNCE_LUA });
  client.defineCommand('gittyMerge', { numberOfKeys: 5, lua: MERGE_LUA });
  client.defineCommand('gittyEpoch', { numberOfKeys: 7, lua: EPOCH_LUA });
  client.defineCommand('gittyJoin', { numberOfKeys: 3, lua: JOIN_LUA });
}

function commands(client: RedisClient): ReplicaCommands {
  return client as unknown as ReplicaCommands;
}

/** One field pair of an objects announcement: `o:<hash>` → inline bytes, or `r:<hash>` → '' (bytes in a short-lived key). */
export type AnnouncedObject = [field: string, value: Buffer | string];

/** What the CAS script answered. */
export type CasOutcome =
  | { kind: 'ok'; id: string; stamp: string }
  | { kind: 'conflict'; head: string | null }
  | { kind: 'epoch'; epoch: string | null }
  /** Redis's counter is below `minSeq`: it lost acknowledged changes (restarted from an older copy). */
  | { kind: 'regressed'; seq: number }
  /** Redis lost the store moments ago; writes resume in `waitMs`, once lagging nodes have merged. */
  | { kind: 'settling'; waitMs: number }
  /** Redis restarted (or failed over) since the generation started: it may have lost acknowledged changes. */
  | { kind: 'restarted' }
  /** Redis lost the store; `node`, active before the loss, has not merged its heads yet (writes wait up to mergeWaitMs). */
  | { kind: 'awaiting'; node: string };

/** The head change and everything the script needs to apply it once. */
export interface CasRequest {
  epoch: string;
  name: string;
  expected: string | null;
  next: string | null;
  requestId: string;
  maxLen: number;
  requestTtlMs: number;
  node: string;
  /** The highest sequence number of this epoch the node has seen; a lower counter in Redis means data loss. */
  minSeq: number;
  /** How long after a loss writes wait for lagging nodes to merge. */
  settleMs: number;
  /** How long after a loss writes wait at most for the members active before it to merge. */
  mergeWaitMs: number;
  objects: AnnouncedObject[];
}

/** Run the CAS script. */
export async function runCas(client: RedisClient, keys: StoreKeys, r: CasRequest): Promise<CasOutcome> {
  const [kind, value] = await commands(client).gittyCas(
    keys.heads, keys.stamps, keys.stream, keys.epoch, keys.seq, keys.requestKey(r.requestId), keys.epochAt, keys.server, keys.members, keys.lostFrom,
    r.epoch, r.name, r.expected ?? '', r.next ?? '', r.requestId, r.maxLen, r.requestTtlMs, r.node, r.minSeq, r.objects.length, r.settleMs, r.mergeWaitMs,
    ...r.objects.flat(),
  );
  if (kind === 'ok') {
    const [id = '', stamp = ''] = value.split(' ');
    return { kind, id, stamp };
  }
  if (kind === 'conflict') return { kind, head: value === '' ? null : value };
  if (kind === 'regressed') return { kind, seq: Number(value) };
  if (kind === 'settling') return { kind, waitMs: Number(value) };
  if (kind === 'restarted') return { kind };
  if (kind === 'awaiting') return { kind, node: value };
  return { kind: 'epoch', epoch: value === '' ? null : value };
}

/** Announce objects without a head change; false when the epoch moved on. */
export async function runAnnounce(
  client: RedisClient, keys: StoreKeys, epoch: string, maxLen: number, node: string, objects: AnnouncedObject[],
): Promise<boolean> {
  const done = await commands(client).gittyAnnounce(keys.stream, keys.epoch, keys.seq, epoch, maxLen, node, objects.length, ...objects.flat());
  return done === 1;
}

/** One name's state as a node knows it, for re-seeding: head '' means deleted. */
export interface MergeEntry {
  name: string;
  head: string | null;
  stamp: string;
}

/** Merge a node's heads and tombstones into Redis; -1 when the epoch moved on, else how many changed. */
export async function runMerge(
  client: RedisClient, keys: StoreKeys, epoch: string, maxLen: number, node: string, entries: MergeEntry[],
): Promise<number> {
  const args = entries.flatMap((e) => [e.name, e.head ?? '', e.stamp]);
  return commands(client).gittyMerge(keys.heads, keys.stamps, keys.stream, keys.seq, keys.epoch, epoch, maxLen, node, ...args);
}

/**
 * Replace the epoch if it is still `seen` ('' for missing) by `<generation>:<suffix>`, the
 * generation being Redis's clock in ms but at least `floor`; resolves the epoch now in force.
 * `lostFrom`: the generation the node followed, when the swap follows a loss (writes then wait
 * for the merges of the members active in it); null when the node seeds a Redis it never followed.
 */
export async function runEpochSwap(
  client: RedisClient, keys: StoreKeys, seen: string, floor: number, suffix: string, lostFrom: number | null,
): Promise<string> {
  return commands(client).gittyEpoch(
    keys.epoch, keys.stream, keys.seq, keys.epochAt, keys.server, keys.members, keys.lostFrom,
    seen, String(floor), suffix, lostFrom === null ? '0' : '1', String(lostFrom ?? 0),
  );
}

/**
 * Join the generation `epoch` (this node has merged what it holds into it), passing the members
 * this node knows (node id → generation each last joined); -1 when the epoch moved on.
 */
export async function runJoin(client: RedisClient, keys: StoreKeys, epoch: string, node: string, known: ReadonlyMap<string, number>): Promise<number> {
  const args = [...known].flatMap(([id, gen]) => [id, String(gen)]);
  return commands(client).gittyJoin(keys.members, keys.epoch, keys.lostFrom, epoch, node, 'join', ...args);
}

/** Leave the members (clean close): nobody waits for this node after a later loss. */
export async function runLeave(client: RedisClient, keys: StoreKeys, epoch: string, node: string): Promise<number> {
  return commands(client).gittyJoin(keys.members, keys.epoch, keys.lostFrom, epoch, node, 'leave');
}
