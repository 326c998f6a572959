# Shared helpers for integration tests (sourced). Each test runs in its own
# temporary folder, removed on exit; skip with `skip "reason"` (exit 77).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${STRATUM_BUILD:-build}
STRATUM="$ROOT/$BUILD/stratum"
SHARED="$ROOT/../shared"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/stratum-test.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
ok() { echo "ok: $*"; }
# has GREP-ARGS: grep for a match in a pipe, reading all of it. `grep -q`
# exits at the first match, so under pipefail a writer still printing gets
# SIGPIPE and the test fails at random; use `cmd | has PATTERN` instead.
has() { grep "$@" >/dev/null; }
# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
# wait_for SECONDS COMMAND...: retry COMMAND until it succeeds.
wait_for() {
    local limit=$1; shift
    local end=$((SECONDS + limit))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.1
    done
}
