import fs from 'node:fs';
import git from 'isomorphic-git';

/**
 * isomorphic-git as a peer: the same blob and commit objects written loose through
 * `git.writeObject`, read back through `git.readObject` with a shared `cache` (its fastest mode).
 */
export class IsomorphicGitPeer {
  private readonly cache: Record<string, unknown> = {};

  constructor(
    /** A bare repository (created by {@link init}). */
    readonly gitdir: string,
  ) {}

  /** Create the bare repository. */
  async init(): Promise<void> {
    await git.init({ fs, dir: this.gitdir, bare: true, defaultBranch: 'main' });
  }

  /** Write an object loose; resolves with its hash. */
  async write(type: 'blob' | 'commit', body: Uint8Array): Promise<string> {
    return git.writeObject({ fs, gitdir: this.gitdir, type, object: body, format: 'content' });
  }

  /** Read an object's content. */
  async read(oid: string): Promise<Uint8Array> {
    const result = await git.readObject({ fs, gitdir: this.gitdir, oid, format: 'content', cache: this.cache });
    return result.object as Uint8Array;
  }
}
