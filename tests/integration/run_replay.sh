#!/usr/bin/env bash
# `stratum run --replay`: SenML lines drive the engine; a bad line is reported
# with its line number and the following lines are still processed.
source "$(dirname "$0")/lib.sh"
cd "$TMP"
# 20 minutes of zone z1: calm, then a sustained rise (noise, shouts, crowd).
python3 - >night.senml <<'PY'
import json
t0 = 1795809600  # 2026-11-27T20:00Z
for s in range(1200):
    hot = s >= 300
    laeq = 78 if hot else 60
    occ = 380 if hot else 80
    meter = [{"bn": "z1/meter-1/", "bt": t0 + s, "n": "LAeq", "u": "dB", "v": laeq},
             {"n": "LAFmax", "u": "dB", "v": laeq + 5}]
    if hot and s % 12 == 0:
        meter.append({"n": "event:shout", "u": "/", "v": 0.9})
    print(json.dumps(meter, separators=(",", ":")))
    print(json.dumps([{"bn": "z1/cam-1/", "bt": t0 + s, "n": "occupancy", "u": "count", "v": occ}],
                     separators=(",", ":")))
    if s == 100:
        print('[{"bn":"z1/meter-1/","n":"LAeq","u":"dB","v":999}]')  # out of range
    if s == 101:
        print('[{"bn":"z1/meter-1/","n":"LAeq",')  # truncated
PY
"$STRATUM" run --replay night.senml --db r.db >out 2>err || fail "replay exited $?: $(tail -3 err)"
grep -q 'line 203' err || fail "the out-of-range pack (line 203) was not reported: $(head -3 err)"
grep -q 'line 206' err || fail "the truncated pack (line 206) was not reported"
grep -q 'packs 2402 (2 refused)' out || fail "pack counts wrong: $(grep packs out)"
[ "$(sqlite3 r.db "select count(*) from transitions where zone='z1' and to_state in ('tense','escalating','incident')")" -ge 1 ] \
    || fail "z1 never became tense or worse in the stored transitions"
# Also from standard input.
"$STRATUM" run --replay - --db s.db <night.senml >/dev/null 2>&1 || fail "replay from stdin"
[ "$(sqlite3 s.db 'select count(*) from transitions')" = "$(sqlite3 r.db 'select count(*) from transitions')" ] \
    || fail "stdin replay differs from file replay"
# Nothing happened before the rise began (20:05): the calm first 5 minutes stay calm.
[ "$(sqlite3 r.db "select count(*) from transitions where t < 1795809600 + 300")" = 0 ] \
    || fail "a transition before the rise began"
ok "replay: bad lines reported, z1 escalated, stdin works"
