#!/usr/bin/env bash
# Run the frozen app's --smoke-test with the network unavailable.
# Usage: packaging/smoke_frozen.sh [EXECUTABLE]   (default dist/InkLift/InkLift; e.g. /usr/bin/inklift-desktop)
# `unshare -n` gives the process an empty network namespace (needs root or user namespaces). Where that is
# refused, proxies point nowhere and the smoke test's own guard refuses every Python-level connection, which
# it reports as a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
EXE=${1:-dist/InkLift/InkLift}
command -v "$EXE" >/dev/null 2>&1 || [ -x "$EXE" ] || { echo "smoke_frozen: $EXE not found; run 'make bundle'" >&2; exit 1; }
if unshare -n true 2>/dev/null; then
  echo "smoke_frozen: network namespace without interfaces (unshare -n)"
  exec unshare -n "$EXE" --smoke-test
fi
echo "smoke_frozen: unshare -n not permitted here; proxies point nowhere and the in-process guard is on"
export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 \
       HTTPS_PROXY=http://127.0.0.1:9 no_proxy= NO_PROXY=
exec "$EXE" --smoke-test
