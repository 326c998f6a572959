#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The analyser's configuration file: per-microphone calibration ([mic ID]
# cal_db) picked by device id, the file-wide cal_db, --cal winning over both,
# thresholds beside them, and clear file:line errors for bad files.
source "$(dirname "$0")/lib.sh"
[ -x "$STRATUM" ] || skip "no $STRATUM (run make)"
command -v python3 >/dev/null || skip "python3 needed to generate fixtures"
# 2 s of a 1 kHz sine at amplitude 0.1 (raw s16, 48 kHz): reads cal - 23.01 dB.
python3 -c '
import math, struct, sys
sys.stdout.buffer.write(b"".join(struct.pack("<h", round(3276.8 * math.sin(2 * math.pi * 1000 * i / 48000))) for i in range(96000)))' >"$TMP/tone.raw"
cat >"$TMP/street.conf" <<'CONF'
# thresholds and calibration for the street's microphones
active_db = 7
cal_db = 95
[mic meter-1]
cal_db = 117.01   # measured with a calibrator
[mic meter-2]     # no cal_db of its own: the file's
CONF
# laeq DEVICE [options...]: the first second's LAeq.
laeq() {
    "$STRATUM" listen --rate 48000 --no-bands --params "$TMP/street.conf" --device "$@" - <"$TMP/tone.raw" \
        >"$TMP/packs.json" || return 1
    head -1 "$TMP/packs.json" | python3 -c 'import json,sys; print(round([r["v"] for r in json.load(sys.stdin) if r.get("n") == "LAeq"][0], 2))'
}
near() { python3 -c "import sys; sys.exit(0 if abs($1 - $2) <= 0.1 else 1)"; }
v=$(laeq meter-1) || fail "listen with the config failed"
near "$v" 94 || fail "meter-1 ([mic meter-1] cal_db 117.01) read $v dB, expected 94.0"
v=$(laeq meter-2)
near "$v" 71.99 || fail "meter-2 (section without cal_db) read $v dB, expected 71.99 (file cal_db 95)"
v=$(laeq other)
near "$v" 71.99 || fail "a device without a section read $v dB, expected 71.99"
v=$(laeq meter-1 --cal 100)
near "$v" 76.99 || fail "--cal 100 read $v dB, expected 76.99: the command line must win"
ok "calibration per microphone: [mic] section, file-wide cal_db, --cal over both"

# Thresholds in the same file reach the detector.
"$STRATUM" listen --params "$TMP/street.conf" --set active_db=7 --list-params | has -x 'active_db = 7' ||
    fail "--list-params does not show the threshold"

# Bad files: each stops with file:line and exit 2.
bad() { # CONTENT EXPECTED-MESSAGE
    printf '%b' "$1" >"$TMP/bad.conf"
    local rc=0
    "$STRATUM" listen --rate 48000 --params "$TMP/bad.conf" - </dev/null >/dev/null 2>"$TMP/bad.err" || rc=$?
    [ $rc -eq 2 ] || fail "bad config '$1': exit $rc, expected 2"
    grep -q "bad.conf:[0-9]*: $2" "$TMP/bad.err" || fail "bad config '$1': $(cat "$TMP/bad.err")"
}
bad '[mic meter-1]\nactive_db = 5\n' 'only cal_db may be set per microphone'
bad '[mic two words]\n' 'expected \[mic ID\]'
bad '[speaker s1]\n' 'expected \[mic ID\]'
bad 'cal_db = loud\n' "cal_db: 'loud' is not a number"
bad 'cal_db = 900\n' 'cal_db: 900 is outside -50..250'
bad '[mic m]\n[mic m]\n' '\[mic m\] given twice'
bad 'no_such_threshold = 1\n' "unknown key 'no_such_threshold'"
ok "bad configuration files are refused with file and line"
