/**
 * Seams that let tests stop or kill a real process at an exact point of a head log append
 * (SIGSTOP past `lockStale`, SIGKILL inside the lock). Nothing sets them outside tests; each is
 * a synchronous call, so a hook that signals its own process stops it right there.
 */
export const headLogTestHooks: {
  /** Inside the lock, after the CAS decided, before the log's end is checked. */
  beforeCheck?: () => void;
  /** After the log's end was checked, before the line is written. */
  beforeWrite?: () => void;
  /** gitty's log: after the lines were written (and flushed), before the append looks for a compaction to veto. */
  afterAppend?: () => void;
  /** SWISH's log: after gitty's line was written, before it looks for lines that landed around it. */
  afterWrite?: () => void;
} = {};
