import type { HeadChange } from '@gitty/core';

/**
 * How a SWISH process that starts now reads `ref/head` (`gitty_driver_files.pl`): first
 * `restore_heads` sets each name to the New of its last line (whatever Old says); then its
 * first `remote_updates` reads the whole file again from the start and applies a line only when
 * its Old is the head it holds (`update_head`: `-` only when there is none). The second pass
 * changes nothing unless a head returns to a commit an earlier line moved away from; then it
 * walks on from there.
 *
 * Returns, for the names where that second pass ends elsewhere than the last line, the change
 * from the last line's New to where SWISH ends (empty for almost every log).
 */
export function swishStartCorrections(events: readonly HeadChange[]): HeadChange[] {
  const lastLine = new Map<string, string>();
  for (const event of events) if (event.new !== null) lastLine.set(event.name, event.new);
  const heads = new Map(lastLine);
  for (const event of events) {
    if (event.new === null) continue;
    const current = heads.get(event.name);
    const applies = event.old === null ? current === undefined : current === event.old;
    if (applies) heads.set(event.name, event.new);
  }
  const corrections: HeadChange[] = [];
  for (const [name, head] of heads) {
    const last = lastLine.get(name)!;
    if (head !== last) corrections.push({ name, old: last, new: head });
  }
  return corrections;
}

/**
 * The Olds of a log, per name, kept small (a 30-bit mix of the name and 28 bits of the hash, a
 * small integer): a tail line whose New matches one may make {@link swishStartCorrections}
 * non-empty. A false match only costs reading the whole log once more.
 */
export class OldsSeen {
  private readonly olds = new Set<number>();

  clear(): void {
    this.olds.clear();
  }

  add(event: HeadChange): void {
    if (event.old !== null) this.olds.add(keyOf(event.name, event.old));
  }

  /** True when `event` may set a head to a commit that an earlier (or this) line moved away from. */
  mayReturnToEarlierHead(event: HeadChange): boolean {
    return event.new !== null && this.olds.has(keyOf(event.name, event.new));
  }
}

function keyOf(name: string, hash: string): number {
  // FNV-1a over the name, folded with the hash's first 7 hex digits.
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return ((h ^ Number.parseInt(hash.slice(0, 7), 16)) >>> 0) & 0x3fffffff;
}

/** A line whose Old was not the head it followed: it overrode that head. */
export interface OverriddenHead {
  /** 1-based line number of the overriding line. */
  line: number;
  name: string;
  /** The head the line replaced (an acknowledged update that dropped out of the history). */
  overridden: string;
  /** The line's Old (what its writer believed the head was; null for `-`). */
  old: string | null;
  /** The line's New, the head from then on. */
  by: string;
}

/**
 * Lines that overrode a head, replaying last-line-wins: a line whose Old is not the head before
 * it (for `-`: a head exists). A head that some later line sets again (gitty's put-back after
 * its own line landed behind SWISH's) was not lost and is not listed.
 */
export function overriddenHeads(lines: readonly { line: number; change: HeadChange }[]): OverriddenHead[] {
  const heads = new Map<string, string>();
  const found: OverriddenHead[] = [];
  // The last line setting each (name, head).
  const lastSet = new Map<string, number>();
  for (const { line, change } of lines) {
    if (change.new === null) continue;
    const current = heads.get(change.name);
    if (current !== undefined && current !== change.old && current !== change.new) {
      found.push({ line, name: change.name, overridden: current, old: change.old, by: change.new });
    }
    heads.set(change.name, change.new);
    lastSet.set(`${change.name}\0${change.new}`, line);
  }
  return found.filter((o) => (lastSet.get(`${o.name}\0${o.overridden}`) ?? 0) < o.line);
}
