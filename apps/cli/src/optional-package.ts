/**
 * The CLI's optional parts (the sqlite and redis drivers, the HTTP server) are optional peer
 * dependencies, so `npm install -g @gitty/cli` needs neither a native SQLite build nor a Redis
 * client. They are imported when a command needs them; when one is not installed, the user is
 * told which package to install.
 */

/** True when `err` says that `pkg` itself (not something it imports) cannot be found. */
export function isMissingPackage(err: unknown, pkg: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && err instanceof Error && err.message.includes(`'${pkg}'`);
}

/** How to install an optional part next to the CLI. */
export function installHint(pkg: string): string {
  return `npm install -g ${pkg} (next to @gitty/cli; in a project: npm install ${pkg})`;
}
