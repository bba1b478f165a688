import { describeHelp, SHARED_HELP } from './support/help.js';

// The help of the commands whose options have no other visible trace (descriptions, defaults
// such as serve's port 8080, which a test cannot bind): exactly as `gitty <command> --help` prints it.

const HELP: Record<string, string> = {
  serve: `Usage: gitty serve [options]

serve the store over HTTP (REST API, /events, web page) until Ctrl-C

Options:
  --port <port>             TCP port (0 picks a free one) (default: "8080")
  --host <host>             address to listen on (default: "127.0.0.1")
  --token-file <file>       a file holding the bearer token required for writes
                            (default: $GITTY_TOKEN_FILE)
  --token <token>           the bearer token itself (shows in \`ps\`: prefer
                            --token-file or $GITTY_TOKEN; none: writes open)
  --allow-host <name>       a Host name to answer besides the bound ones
                            (repeatable; "*": any), against DNS rebinding
  --accept-client-time      keep a meta.time sent by clients (imports);
                            otherwise the server sets the time
  --cors <origins...>       origins allowed by CORS (default: CORS off)
  --body-limit <bytes>      largest request body in bytes
  --write-rate <perSecond>  writes per second allowed per client, 0: no limit
                            (default: 10, bursts of 50)
  -h, --help                display help for command
`,
  watch: `Usage: gitty watch [options]

print every head change (created, updated, deleted) as it happens, until Ctrl-C

Options:
  --interval <duration>  poll interval for drivers that cannot push changes
                         (default: "500ms")
  -h, --help             display help for command
`,
  demo: SHARED_HELP.demo,
  copy: SHARED_HELP.copy,
  compare: SHARED_HELP.compare,
  repack: SHARED_HELP.repack,
};

describeHelp('command help', HELP);
