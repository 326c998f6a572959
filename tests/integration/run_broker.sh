#!/usr/bin/env bash
# `stratum run --broker`: a real street over a hardened mosquitto. The simulated
# street's ten sensors publish signed packs (`stratum sim --publish`); the engine
# verifies and fuses them; a forged pack is refused and counted, never fused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt.lib"

for i in 1 2 3 4 5; do
    add_device "meter-$i" "z$i" sound-meter
    add_device "cam-$i" "z$i" counter
done
broker_config
broker_up

HPORT=$(free_port)
"$STRATUM" run --broker "$URL" --broker-cred broker/engine.cred --db reg.db --verify-threads 2 \
    --set street.name=$STREET --set http.port=$HPORT --set light.protocol=off \
    --set run.status_every_s=1 >run.out 2>run.err &
RUN=$!
PIDS+=("$RUN")
wait_for 10 grep -q "verified observations from the broker" run.out || fail "run did not start: $(tail -3 run.err)"
sleep 1

"$STRATUM" sim --publish "$URL" --keys keys --street $STREET >sim.out 2>sim.err &
SIM=$!
PIDS+=("$SIM")
sleep 5
# The dashboard lists the registered devices with the versions they reported.
curl -sf "http://127.0.0.1:$HPORT/api/devices" >devices.json || fail "/api/devices"
python3 - devices.json <<'PY' || fail "device health from the registry: $(cat devices.json)"
import json, sys
d = {s["id"]: s for s in json.load(open(sys.argv[1]))["devices"]}
assert len(d) == 10, sorted(d)
m = d["meter-1"]
assert m["zone"] == "z1" and m["kind"] == "sound-meter", m
assert m["version"] == "1.0.0" and m["quarantined"] is False and m["health"] == "ok", m
assert d["cam-5"]["kind"] == "people-counter", d["cam-5"]
PY
kill -TERM "$SIM"
wait "$SIM" || fail "sim exited $?: $(tail -2 sim.err)"
packs=$(sed -n 's/^stratum sim: \([0-9]*\) packs.*/\1/p' sim.err)

# A forged pack: meter-1's broker login, another signing key.
sed "s/^seed = .*/seed = $(printf '%064d' 7)/" keys/meter-1.key >forged.key
chmod 600 forged.key
pack z1 meter-1 99 | send forged.key >/dev/null 2>&1 || fail "forged send"
sleep 1
kill -TERM "$RUN"
wait "$RUN" || fail "run exited $?: $(tail -3 run.err)"

grep -q "summary of run .* (street via broker)" run.out || fail "no broker summary: $(tail -5 run.out)"
accepted=$(sed -n 's/.*broker:.* accepted \([0-9]*\).*/\1/p' run.out)
bad=$(sed -n 's/.*broker:.* bad-signature \([0-9]*\).*/\1/p' run.out)
[ "${accepted:-0}" -eq "$packs" ] || fail "engine accepted ${accepted:-0} of $packs signed packs: $(grep broker: run.out)"
[ "${bad:-0}" -eq 1 ] || fail "the forged pack was not counted as bad-signature: $(grep broker: run.out)"
used=$(sed -n 's/.*observations used \([0-9]*\).*/\1/p' run.out)
[ "${used:-0}" -gt 0 ] || fail "no observation reached the zones"
# The forged value (99 dB) never reached zone z1: its per-second status lines
# (LAeq over the last minute) were printed after the forged pack and stay low.
z1=$(awk '$2 == "z1" && $6 == "LAeq" && $7 != "-" {print $7}' run.out | tail -n 3)
[ -n "$z1" ] || fail "no z1 status lines with a level"
for v in $z1; do
    python3 -c "import sys; sys.exit(0 if float('$v') < 85 else 1)" || fail "z1 LAeq $v: a forged observation was fused"
done
ok "$accepted signed packs fused, 1 forged pack refused and counted"
