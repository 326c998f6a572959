#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# stratum listen end to end: a calibrated tone reads 94 dB in SenML; --summary;
# raw stdin; corrupt, truncated, unsupported and silent inputs fail or flag cleanly.
source "$(dirname "$0")/lib.sh"
[ -x "$STRATUM" ] || skip "no $STRATUM (run make)"
command -v python3 >/dev/null || skip "python3 needed to generate fixtures"
# Fixtures: a 1 kHz sine at amplitude 0.1 (3 s, 48 kHz), silence, a clipped square.
python3 - "$TMP" <<'PY'
import math, struct, sys, wave
d = sys.argv[1]
def wav(name, rate, n, fn):
    f = wave.open(f"{d}/{name}", "wb"); f.setnchannels(1); f.setsampwidth(2); f.setframerate(rate)
    f.writeframes(b"".join(struct.pack("<h", max(-32768, min(32767, round(fn(i))))) for i in range(n)))
    f.close()
wav("tone.wav", 48000, 3 * 48000, lambda i: 3276.8 * math.sin(2 * math.pi * 1000 * i / 48000))
wav("silence.wav", 16000, 32000, lambda i: 0)
wav("clip.wav", 16000, 32000, lambda i: 32767 if (i // 20) % 2 else -32768)
wav("low.wav", 8000, 8000, lambda i: 1000 * math.sin(i))
raw = b"".join(struct.pack("<h", round(3276.8 * math.sin(2 * math.pi * 1000 * i / 16000))) for i in range(32000))
open(f"{d}/tone.raw", "wb").write(raw)
data = open(f"{d}/tone.wav", "rb").read()
open(f"{d}/truncated.wav", "wb").write(data[:5000])
open(f"{d}/corrupt.wav", "wb").write(data[:44] + bytes(range(256)) * 40)
open(f"{d}/garbage.wav", "wb").write(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk")
PY
cal=$(python3 -c 'import math; print(94 - 10 * math.log10(0.1**2 / 2))')

out=$("$STRATUM" listen --t0 1700000000 --zone z3 --device mic7 --cal "$cal" "$TMP/tone.wav")
[ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ] || fail "expected 3 packs, got: $out"
line3=$(printf '%s\n' "$out" | sed -n 3p)
printf '%s' "$line3" | has '"bn":"z3/mic7/","bt":1700000002' || fail "base name/time: $line3"
laeq=$(printf '%s' "$line3" | python3 -c 'import json,sys; p=json.load(sys.stdin); print([r["v"] for r in p if r.get("n")=="LAeq"][0])')
python3 -c "import sys; sys.exit(0 if abs($laeq - 94.0) <= 0.1 else 1)" || fail "LAeq $laeq, expected 94.0 +- 0.1"
printf '%s' "$line3" | has '"n":"band:1000","u":"dB"' || fail "no 1 kHz band: $line3"
printf '%s' "$line3" | has '"n":"band:31.5"' || fail "no 31.5 Hz band: $line3"
ok "calibrated 1 kHz tone reads LAeq $laeq dB"
# every pack is accepted by the observation checker when it exists
if "$STRATUM" obs --help >/dev/null 2>&1; then
    printf '%s\n' "$out" > "$TMP/packs.json"
    "$STRATUM" obs check "$TMP/packs.json" >/dev/null 2>&1 || fail "stratum obs check refused the packs"
    ok "packs pass stratum obs check"
fi

summ=$("$STRATUM" listen --summary "$TMP/tone.wav")
printf '%s\n' "$summ" | has 'LAeq' || fail "summary has no table"
ok "summary table"

out=$("$STRATUM" listen --rate 16000 --format s16 --t0 0 --no-bands --cal "$cal" - < "$TMP/tone.raw")
[ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ] || fail "raw stdin: expected 2 packs: $out"
printf '%s' "$out" | has 'band:' && fail "--no-bands still wrote bands"
ok "raw PCM on stdin"

for f in garbage corrupt; do
    set +e; err=$("$STRATUM" listen "$TMP/$f.wav" 2>&1 >/dev/null); rc=$?; set -e
    [ $rc -eq 1 ] || [ $rc -eq 0 ] || fail "$f: exit $rc (crash?)"
    [ $rc -eq 0 ] || [ -n "$err" ] || fail "$f: failed without a message"
done
set +e; err=$("$STRATUM" listen "$TMP/truncated.wav" 2>&1 >/dev/null); rc=$?; set -e
[ $rc -le 1 ] || fail "truncated: exit $rc"
set +e; err=$("$STRATUM" listen "$TMP/low.wav" 2>&1 >/dev/null); rc=$?; set -e
[ $rc -eq 1 ] && printf '%s' "$err" | has '8000 Hz' || fail "8 kHz input: rc $rc, '$err'"
set +e; err=$("$STRATUM" listen "$TMP/nothere.wav" 2>&1 >/dev/null); rc=$?; set -e
[ $rc -eq 1 ] && printf '%s' "$err" | has 'nothere.wav' || fail "missing file: rc $rc, '$err'"
set +e; "$STRATUM" listen --cal abc "$TMP/tone.wav" >/dev/null 2>&1; rc=$?; set -e
[ $rc -eq 2 ] || fail "bad --cal: exit $rc, expected 2"
ok "corrupt, truncated, unsupported and missing inputs: clear errors, no crash"

sil=$("$STRATUM" listen --summary "$TMP/silence.wav")
printf '%s\n' "$sil" | has -E '^ +[0-9]+ .* silent$' || fail "silence not flagged: $sil"
clip=$("$STRATUM" listen --summary "$TMP/clip.wav")
printf '%s\n' "$clip" | has -E '^ +[0-9]+ .* clipped' || fail "clipping not flagged: $clip"
warn=$("$STRATUM" listen --t0 0 "$TMP/clip.wav" 2>&1 >/dev/null)
printf '%s\n' "$warn" | has 'input clipped' || fail "no clipping warning: $warn"
ok "silence and clipping flagged"

# The event classifier: the hand-written rules on request, a missing or broken
# model file is a clear error (exit 2), and the shipped model loads and runs.
"$STRATUM" listen --model rules --t0 0 "$TMP/tone.wav" >/dev/null || fail "--model rules failed"
set +e; err=$("$STRATUM" listen --model "$TMP/nomodel.txt" "$TMP/tone.wav" 2>&1 >/dev/null); rc=$?; set -e
[ $rc -eq 2 ] && printf '%s' "$err" | has 'nomodel.txt' || fail "missing model: rc $rc, '$err'"
printf 'stratum-audio-model 1\nfeature bogus 0 1\n' > "$TMP/bad-model.txt"
set +e; err=$("$STRATUM" listen --model "$TMP/bad-model.txt" "$TMP/tone.wav" 2>&1 >/dev/null); rc=$?; set -e
[ $rc -eq 2 ] && printf '%s' "$err" | has 'line 2' || fail "bad model: rc $rc, '$err'"
model="$ROOT/data/audio-model.txt"
if [ -f "$model" ]; then
    out=$("$STRATUM" listen --model "$model" --t0 0 --cal "$cal" "$TMP/tone.wav")
    [ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ] || fail "with the shipped model: $out"
    printf '%s' "$out" | has 'event:' && fail "a steady tone raised an event: $out"
    ok "event model: rules on request, shipped model loads, bad model files refused"
else
    ok "event model: rules on request, bad model files refused (no data/audio-model.txt)"
fi
