#!/usr/bin/env bash
# `stratum sim --publish`: the simulated street's ten sensors sign their packs with
# their own keys and publish them through a real, hardened mosquitto; the engine-side
# verifier accepts every one and refuses none.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt.lib"

for i in 1 2 3 4 5; do
    add_device "meter-$i" "z$i" sound-meter
    add_device "cam-$i" "z$i" counter
done
broker_config
broker_up
monitor_start

# Six seconds of the night, in real time; SIGTERM ends it cleanly (flush, summary).
"$STRATUM" sim --publish "$URL" --keys keys --street $STREET >sim.out 2>sim.err &
SIM=$!
PIDS+=("$SIM")
sleep 6
kill -TERM "$SIM"
wait "$SIM" || fail "stratum sim --publish exited $?: $(tail -3 sim.err)"
grep -q "refused by the broker, 0 not sent" sim.err || fail "sim did not send everything: $(tail -2 sim.err)"
grep -q " 0 refused by the broker" sim.err || fail "the broker refused packs: $(tail -2 sim.err)"
packs=$(sed -n 's/^stratum sim: \([0-9]*\) packs.*/\1/p' sim.err)
[ "${packs:-0}" -ge 50 ] || fail "too few packs published: $(tail -2 sim.err)"
wait_for 10 bash -c "[ \$(grep -c '\"device\"' monitor.out) -ge $packs ]" ||
    fail "the verifier accepted $(grep -c '"device"' monitor.out) of $packs packs"
monitor_stop
[ "$(count accepted)" -ge "$packs" ] || fail "accepted $(count accepted) < $packs"
for v in bad-signature replayed unknown-device revoked quarantined; do
    c=$(count $v)
    [ "$c" = 0 ] || fail "'$c' $v messages from the simulated street (expected 0)"
done
for i in 1 2 3 4 5; do
    grep -q "\"device\":\"meter-$i\"" monitor.out || fail "nothing accepted from meter-$i"
    grep -q "\"device\":\"cam-$i\"" monitor.out || fail "nothing accepted from cam-$i"
done
ok "$packs signed packs from 10 simulated sensors accepted, none refused"

# Without a key the command says which device and how to create it.
set +e
"$STRATUM" sim --publish "$URL" --keys nowhere 2>nokey.err; rc=$?
set -e
[ $rc -eq 1 ] || fail "missing keys exited $rc"
grep -q "stratum device add meter-1 --zone z1" nokey.err || fail "unclear missing-key message: $(cat nokey.err)"
ok "missing key explained"
