#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Resident memory of the edge analyser on a live stream: raw 48 kHz PCM piped
# in for 20 s of audio (paced in real time would take too long; the analyser's
# memory does not depend on the pace). The edge binary stratum-listen (the
# same command as `stratum listen`, linked with only the libraries it needs)
# must peak at <= 8 MB of total resident memory (VmHWM: heap, stacks, data
# and every touched page of code and libraries). The all-in-one binary maps
# some fifty libraries the analyser never calls and peaks near 16 MB.
source "$(dirname "$0")/lib.sh"
LISTEN="$ROOT/$BUILD/stratum-listen"
[ -x "$LISTEN" ] || skip "no $LISTEN (run make)"
command -v python3 >/dev/null || skip "python3 needed"
case "$BUILD" in *asan*) skip "RSS is not meaningful under ASan" ;; esac
mkfifo "$TMP/pcm"
python3 - "$TMP/pcm" <<'PY' &
import math, random, struct, sys, time
random.seed(1)
with open(sys.argv[1], "wb") as f:
    for s in range(20):
        buf = b"".join(struct.pack("<h", int(3000 * math.sin(i * 0.13) + random.randint(-2000, 2000)))
                       for i in range(48000))
        f.write(buf)
        f.flush()
        time.sleep(0.05)
PY
PIDS+=($!)
"$LISTEN" --rate 48000 - < "$TMP/pcm" > "$TMP/out" &
pid=$!
PIDS+=($pid)
peak=0 hwm=0
while kill -0 "$pid" 2>/dev/null; do
    p=$(awk '/^Private_Dirty:/ {s += $2} END {print s + 0}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
    [ "${p:-0}" -gt "$peak" ] && peak=$p
    h=$(sed -n 's/^VmHWM:\s*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$h" ] && hwm=$h
    sleep 0.1
done
wait "$pid" || fail "listen failed"
[ "$(wc -l < "$TMP/out")" -ge 19 ] || fail "expected about 20 packs, got $(wc -l < "$TMP/out")"
[ "$hwm" -gt 0 ] || fail "could not read VmHWM"
[ "$hwm" -le 8192 ] || fail "stratum-listen resident memory peaked at ${hwm} kB > 8192 kB"
ok "live 48 kHz stream: stratum-listen peak RSS ${hwm} kB (limit 8192 kB; private dirty ${peak} kB)"
