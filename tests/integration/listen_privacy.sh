#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Privacy proof for stratum listen (docs/audio.md): run it under strace with
# every write-like system call dumped in full, and check that no written
# buffer contains a run of the input's sample bytes (as 16-bit PCM or as the
# float samples the analyser holds), and that no file is opened for writing.
# Also checks that the audio library has no output call at all.
source "$(dirname "$0")/lib.sh"
[ -x "$STRATUM" ] || skip "no $STRATUM (run make)"
command -v strace >/dev/null || skip "strace not installed"
command -v python3 >/dev/null || skip "python3 needed"

# 1. The library (src/audio) writes nothing: no stdio or syscall output calls.
if grep -nE '\b(f?printf|fputs|puts|fwrite|write|send|sendto|sendmsg|syslog|perror)\s*\(' \
    "$ROOT"/src/audio/*.c | grep -v '^\S*:\s*\*'; then
    fail "output call in src/audio (listed above)"
fi
ok "src/audio has no output calls"

# 2. A noisy signal whose samples are distinctive (pseudo-random, full range).
python3 - "$TMP" <<'PY'
import random, struct, sys, wave
random.seed(20240607)
d = sys.argv[1]
s = [random.randint(-30000, 30000) for _ in range(16000 * 4)]
f = wave.open(f"{d}/secret.wav", "wb"); f.setnchannels(1); f.setsampwidth(2); f.setframerate(16000)
f.writeframes(b"".join(struct.pack("<h", v) for v in s)); f.close()
open(f"{d}/secret.raw", "wb").write(b"".join(struct.pack("<h", v) for v in s))
PY

run_traced() { # name, args...
    local name=$1; shift
    # LeakSanitizer cannot run under ptrace (ASan builds): leaks are checked elsewhere.
    ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0" \
        strace -f -qq -s 1000000 -xx -e trace=write,writev,pwrite64,pwritev,sendto,sendmsg,sendmmsg,openat,open,creat \
        -o "$TMP/$name.trace" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || true
    [ -s "$TMP/$name.out" ] || fail "$name: no output (see $TMP/$name.err)"
}
run_traced file "$STRATUM" listen --t0 0 "$TMP/secret.wav"
run_traced summary "$STRATUM" listen --summary "$TMP/secret.wav"
run_traced stdin bash -c "\"$STRATUM\" listen --rate 16000 --t0 0 - < \"$TMP/secret.raw\""

python3 - "$TMP" <<'PY' || fail "sample data found in written bytes (see above)"
import re, struct, sys
d = sys.argv[1]
pcm = open(f"{d}/secret.raw", "rb").read()
samples = struct.unpack(f"<{len(pcm)//2}h", pcm)
as_float = b"".join(struct.pack("<f", v / 32768.0) for v in samples)
RUN = 8  # bytes: 4 consecutive 16-bit samples or 2 floats
needles = set()
for blob in (pcm, as_float):
    for i in range(0, len(blob) - RUN, 2):
        needles.add(blob[i:i + RUN])
bad = 0
for name in ("file", "summary", "stdin"):
    for line in open(f"{d}/{name}.trace"):
        m = re.search(r'(open|openat|creat)\(.*"([^"]*)".*(O_WRONLY|O_RDWR|O_CREAT)', line)
        path = bytes.fromhex(m.group(2).replace("\\x", "")).decode(errors="replace") if m else ""
        if m and not path.startswith("/dev/"):
            print(f"{name}: opens for writing: {line.strip()}"); bad += 1
        m = re.match(r'\d+\s+(write|pwrite64|sendto|sendmsg|writev)\(\d+, "((?:\\x[0-9a-f]{2})*)"', line)
        if not m:
            continue
        data = bytes.fromhex(m.group(2).replace("\\x", ""))
        for i in range(0, max(0, len(data) - RUN + 1)):
            if data[i:i + RUN] in needles:
                print(f"{name}: {m.group(1)} of {len(data)} bytes carries sample bytes at {i}"); bad += 1
                break
sys.exit(1 if bad else 0)
PY
writes=$(grep -cE '^[0-9]+ +(write|writev)\(' "$TMP/file.trace" || true)
[ "$writes" -gt 0 ] || fail "strace saw no writes at all: the check would be vacuous"
ok "no written buffer holds sample data ($writes writes checked in the file run)"
