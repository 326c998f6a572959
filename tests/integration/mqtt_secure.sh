#!/usr/bin/env bash
# Signed observations through a real mosquitto configured by `stratum broker-config`:
# valid traffic flows (MQTT 5 and 3.1.1); forged, replayed (exact and reordered),
# wrong-topic, anonymous, revoked and outdated traffic is refused and counted, and
# none of it reaches the observations the engine would get.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/mqtt.lib"

add_device meter-1 z1 soundmeter
add_device cam-1 z2 camera
broker_config
grep -q '^allow_anonymous false' broker/mosquitto.conf || fail "anonymous access not refused in the config"
[ "$(stat -c %a keys/meter-1.key)" = 600 ] || fail "key file is not mode 0600"
sqlite3 reg.db "select count(*) from devices where length(public_key) = 32" | has -x 2 ||
    fail "registry does not hold the two public keys"
grep -rq "$(sed -n 's/^seed = //p' keys/meter-1.key)" reg.db broker && fail "a private key leaked into the db or broker files"
broker_up
monitor_start
ok "mosquitto on port $PORT with the generated config; monitor subscribed"

# 1. Valid traffic, MQTT 5: three packs, counters 100..102; the last envelope is kept.
{ pack z1 meter-1 61.5; pack z1 meter-1 62.5; pack z1 meter-1 63.5; } >valid.txt
send keys/meter-1.key --counter 100 --save-last last.env valid.txt >send.out 2>>send.err ||
    fail "valid send failed: $(cat send.out; tail -2 send.err)"
grep -q "acked 3, refused 0" send.out || fail "valid packs not all acknowledged: $(cat send.out)"
# MQTT 3.1.1 from the camera.
pack z2 cam-1 55 | send keys/cam-1.key --protocol 4 --counter 7 >>send.out 2>>send.err || fail "3.1.1 send failed"
wait_for 10 grep -q '"device":"cam-1","counter":7' monitor.out || fail "3.1.1 message not accepted"
ok "valid signed packs accepted over MQTT 5 and 3.1.1"

# 2. Exact replay: the very same bytes again, with the device's own broker login.
PW=$(sed -n 's/^mqtt_password = //p' keys/meter-1.key)
mosquitto_pub -h 127.0.0.1 -p "$PORT" -u meter-1 -P "$PW" -q 1 -t "stratum/$STREET/z1/meter-1/obs" -f last.env ||
    fail "mosquitto_pub of the replay failed"

# 3. Reordered: 110, then 105 (late but new), then another 105 (replayed counter).
pack z1 meter-1 60 | send keys/meter-1.key --counter 110 >>send.out 2>>send.err || fail "send 110"
pack z1 meter-1 60 | send keys/meter-1.key --counter 105 >>send.out 2>>send.err || fail "send 105"
pack z1 meter-1 60 | send keys/meter-1.key --counter 105 >>send.out 2>>send.err || fail "send 105 again"

# 4. Forged: meter-1's broker login (leaked) but not its signing key.
sed "s/^seed = .*/seed = $(printf '%064d' 7)/" keys/meter-1.key >forged.key
chmod 600 forged.key
pack z1 meter-1 99 | send forged.key --counter 200 >>send.out 2>>send.err || fail "forged send"

# 5. Another device's topic: the broker's ACL refuses it (MQTT 5 reason 0x87).
if pack z2 cam-1 99 | send keys/meter-1.key --counter 300 --topic "stratum/$STREET/z2/cam-1/obs" >acl.out 2>>send.err; then
    fail "publish to another device's topic was not refused: $(cat acl.out)"
fi
grep -q "refused 1 (last reason 135)" acl.out || fail "expected PUBACK reason 135 (not authorized): $(cat acl.out)"
# Anonymous clients are refused outright.
if mosquitto_pub -h 127.0.0.1 -p "$PORT" -q 1 -t "stratum/$STREET/z1/meter-1/obs" -m x 2>anon.err; then
    fail "anonymous publish accepted"
fi
# A device cannot read the street's traffic.
CAMPW=$(sed -n 's/^mqtt_password = //p' keys/cam-1.key)
mosquitto_sub -h 127.0.0.1 -p "$PORT" -u cam-1 -P "$CAMPW" -t "stratum/#" -C 1 -W 3 >spy.out 2>/dev/null &
SPY=$!
sleep 0.5
pack z1 meter-1 64 | send keys/meter-1.key --counter 120 >>send.out 2>>send.err || fail "send 120"
wait $SPY 2>/dev/null || true
[ -s spy.out ] && fail "a device received other devices' observations"
ok "broker refuses other devices' topics (reason 135), anonymous clients and device subscriptions"

# 6. Revoked: cam-1 is revoked while the monitor runs (registry reloaded from the db).
"$STRATUM" device revoke cam-1 --db reg.db >/dev/null || fail "device revoke"
sleep 1.5
pack z2 cam-1 56 | send keys/cam-1.key --counter 8 >>send.out 2>>send.err || fail "revoked send"

# 7. Outdated: soundmeters below 2.0.0 are quarantined; after an update they are trusted.
"$STRATUM" device policy soundmeter --min-version 2.0.0 --db reg.db >/dev/null || fail "device policy"
sleep 1.5
pack z1 meter-1 70 | send keys/meter-1.key --counter 400 --version 1.4.0 >>send.out 2>>send.err || fail "outdated send"
wait_for 10 grep -q '"alert":"quarantine","device":"meter-1"' monitor.out || fail "no quarantine alert: $(tail -5 monitor.out; tail -5 monitor.err)"
pack z1 meter-1 71 | send keys/meter-1.key --counter 401 --version 2.1.0 >>send.out 2>>send.err || fail "updated send"
wait_for 10 grep -q '"device":"meter-1","counter":401' monitor.out || fail "updated device not accepted"

monitor_stop
cat monitor.out | grep '^ingest:'
# Accepted: 100, 101, 102, cam-1 7, 110, 105, 120, 401.
[ "$(count accepted)" = 8 ] || fail "accepted $(count accepted), expected 8"
[ "$(count replayed)" = 2 ] || fail "replayed $(count replayed), expected 2 (exact + counter reuse)"
[ "$(count bad-signature)" = 1 ] || fail "bad-signature $(count bad-signature), expected 1"
[ "$(count revoked)" = 1 ] || fail "revoked $(count revoked), expected 1"
[ "$(count quarantined)" = 1 ] || fail "quarantined $(count quarantined), expected 1"
[ "$(count unknown-device)" = 0 ] || fail "unknown-device $(count unknown-device)"
# Nothing refused reached the observations handed on.
for bad in '"counter":200' '"device":"cam-1","counter":8' '"counter":400' '"v":99'; do
    grep -q "$bad" monitor.out && fail "refused message reached the engine: $bad"
done
[ "$(grep -c '"device":"meter-1","counter":105' monitor.out)" = 1 ] || fail "counter 105 accepted twice"
[ "$(grep -c '"device":"meter-1","counter":102' monitor.out)" = 1 ] || fail "replayed 102 accepted"
[ "$(sqlite3 reg.db "select count(*) from device_quarantine where device = 'meter-1' and counter = 400")" = 1 ] ||
    fail "quarantined message not kept in the store"
[ "$(sqlite3 reg.db "select sw_version from devices where id = 'meter-1'")" = 2.1.0 ] || fail "reported version not recorded"
ok "forged 1, replayed 2, revoked 1, quarantined 1 (kept, alerted); none reached the engine"
exit 0
