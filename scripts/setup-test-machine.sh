#!/usr/bin/env bash
# Prepares a fresh machine for the full test suite: pnpm (corepack is unreliable here), and
# the system packages the tests drive for real: git, redis-server, Chromium for the browser test.
set -euo pipefail
need_apt=()
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# libfaketime: the chaos campaign (test/chaos) jumps client processes' clocks with it.
command -v faketime >/dev/null 2>&1 || need_apt+=(faketime)
# SWI-Prolog: the SWISH-format tests run SWISH's own gitty with it (real-SWISH interop).
command -v swipl >/dev/null 2>&1 || need_apt+=(swi-prolog-nox)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if ! command -v pnpm >/dev/null 2>&1; then
  echo "setup: installing pnpm 10 with npm"
  npm install -g pnpm@10 >/dev/null 2>&1
fi
