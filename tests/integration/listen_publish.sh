#!/usr/bin/env bash
# `stratum listen --publish`: the edge analyser signs its per-second packs with
# its device key and publishes them through a real, hardened mosquitto; the
# engine-side verifier accepts every one, from the key file's zone and device.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt.lib"
command -v python3 >/dev/null || skip "python3 needed to generate the fixture"

python3 - "$TMP/tone.wav" <<'PY'
import math, struct, sys, wave
f = wave.open(sys.argv[1], "wb"); f.setnchannels(1); f.setsampwidth(2); f.setframerate(48000)
f.writeframes(b"".join(struct.pack("<h", int(3276.8 * math.sin(2 * math.pi * 1000 * i / 48000)))
                       for i in range(5 * 48000)))
PY
add_device mic-7 z3 sound-meter
broker_config
broker_up
monitor_start

"$STRATUM" listen --publish "$URL" --key keys/mic-7.key --street $STREET tone.wav \
    >listen.out 2>listen.err || fail "listen --publish exited $?: $(tail -3 listen.err)"
grep -q "published 5 packs, 5 acknowledged, 0 refused" listen.err ||
    fail "not every pack was acknowledged: $(tail -2 listen.err)"
[ ! -s listen.out ] || fail "packs were also printed while publishing"
wait_for 10 bash -c "[ \$(grep -c '\"device\":\"mic-7\"' monitor.out) -ge 5 ]" ||
    fail "the verifier accepted $(grep -c '"device":"mic-7"' monitor.out) of 5 packs"
monitor_stop
[ "$(count accepted)" -ge 5 ] || fail "accepted $(count accepted)"
[ "$(count bad-signature)" = 0 ] || fail "bad signatures: '$(count bad-signature)'"
grep -q '"zone":"z3"' monitor.out || fail "the key file's zone z3 was not used"
ok "5 signed packs from the edge analyser accepted as z3/mic-7"

# --publish needs the key, and a table cannot be published.
set +e
"$STRATUM" listen --publish "$URL" tone.wav 2>err1; rc1=$?
"$STRATUM" listen --publish "$URL" --key keys/mic-7.key --summary tone.wav 2>err2; rc2=$?
set -e
[ $rc1 = 2 ] && grep -q -- "--publish URL and --key FILE go together" err1 || fail "missing key: $(cat err1)"
[ $rc2 = 2 ] && grep -q "cannot be published" err2 || fail "--summary with --publish: $(cat err2)"
ok "usage errors explained"
