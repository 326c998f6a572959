#!/usr/bin/env bash
# mqtts:// end to end through a real mosquitto whose TLS listener `stratum
# broker-config --tls-*` wrote: a throwaway CA (made here with openssl) signs
# the broker's certificate (for 127.0.0.1) and one client certificate each for
# the engine and a device. Signed packs flow device -> broker -> engine over
# TLS; a client without a certificate, one whose certificate another CA
# signed, and a plain-TCP client are all turned away.
source "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || skip "openssl is not installed (scripts/debian-packages.txt)"
source "$(dirname "$0")/mqtt.lib"

# cert NAME CN [CA]: an EC P-256 key and a certificate, signed by CA (default ca).
cert() {
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$1.key" \
        -out "$1.csr" -subj "/CN=$2" 2>>openssl.err || fail "openssl req $1: $(tail -2 openssl.err)"
    printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
    openssl x509 -req -in "$1.csr" -CA "${3:-ca}.crt" -CAkey "${3:-ca}.key" -CAcreateserial \
        -days 2 -out "$1.crt" -extfile san.ext 2>>openssl.err || fail "openssl x509 $1: $(tail -2 openssl.err)"
}
for ca in ca rogue; do
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $ca.key \
        -out $ca.crt -days 2 -subj "/CN=Stratum test $ca" 2>>openssl.err || fail "openssl CA: $(tail -2 openssl.err)"
done
cert server 127.0.0.1
cert engine stratum-engine
cert meter meter-1
cert intruder meter-1 rogue
chmod 644 ./*.key ./*.crt # mosquitto, started as root, reads them as its own user

add_device meter-1 z1 soundmeter
"$STRATUM" broker-config --dir broker --db reg.db --street $STREET --port "$PORT" \
    --tls-ca "$TMP/ca.crt" --tls-cert "$TMP/server.crt" --tls-key "$TMP/server.key" >/dev/null 2>>setup.err ||
    fail "broker-config with TLS: $(tail -2 setup.err)"
grep -q '^require_certificate true' broker/mosquitto.conf || fail "client certificates not required"
broker_up
URL="mqtts://127.0.0.1:$PORT"
TLS_ENGINE=(--ca ca.crt --cert engine.crt --certkey engine.key)
monitor_start "${TLS_ENGINE[@]}"
ok "engine connected over TLS with its client certificate"

{ pack z1 meter-1 61.5; pack z1 meter-1 62.5; } >valid.txt
send keys/meter-1.key --ca ca.crt --cert meter.crt --certkey meter.key <valid.txt >send.out 2>>send.err ||
    fail "TLS send failed: $(cat send.out; tail -2 send.err)"
grep -q "acked 2, refused 0" send.out || fail "packs not acknowledged over TLS: $(cat send.out)"
wait_for 10 grep -q '"device":"meter-1"' monitor.out || fail "engine saw nothing over TLS: $(tail -3 monitor.err)"
ok "signed packs flow device -> broker -> engine over mqtts://"

# A TLS file path too long for the settings is refused whole, never cut short.
LONG=$(printf '%0300d' 0)
set +e; err=$(send keys/meter-1.key --ca "$LONG.crt" <valid.txt 2>&1 >/dev/null); rc=$?; set -e
[ $rc -eq 2 ] && printf '%s' "$err" | has 'TLS CA file path is longer than 255 bytes' ||
    fail "over-long --ca: rc $rc, '$err'"
ok "an over-long TLS file path is refused with the reason"

# The edge analyser publishes over TLS too: 2 s of noise, 2 packs.
LISTEN="$ROOT/$BUILD/stratum-listen"
[ -x "$LISTEN" ] || LISTEN="$STRATUM listen"
head -c 192000 /dev/urandom | $LISTEN --rate 48000 --publish "$URL" --key keys/meter-1.key --street $STREET \
    --ca ca.crt --cert meter.crt --certkey meter.key - >listen.out 2>listen.err ||
    fail "listen --publish over TLS failed: $(tail -2 listen.err)"
# Only the analyser's packs carry LAFmax.
wait_for 10 bash -c '[ "$(grep -c LAFmax monitor.out)" -ge 2 ]' ||
    fail "the analyser's packs did not arrive over TLS: $(tail -2 listen.err)"
ok "stratum-listen publishes signed packs over mqtts://"

# Turned away: no client certificate; a certificate from another CA; plain TCP.
PW=$(sed -n 's/^mqtt_password = //p' keys/meter-1.key)
if timeout 10 mosquitto_pub -h 127.0.0.1 -p "$PORT" --cafile ca.crt -u meter-1 -P "$PW" -q 1 \
    -t "stratum/$STREET/z1/meter-1/obs" -m x 2>nocert.err; then
    fail "a client without a certificate could publish"
fi
if timeout 10 mosquitto_pub -h 127.0.0.1 -p "$PORT" --cafile ca.crt --cert intruder.crt --key intruder.key \
    -u meter-1 -P "$PW" -q 1 -t "stratum/$STREET/z1/meter-1/obs" -m x 2>rogue.err; then
    fail "a client whose certificate another CA signed could publish"
fi
if timeout 10 mosquitto_pub -h 127.0.0.1 -p "$PORT" -u meter-1 -P "$PW" -q 1 \
    -t "stratum/$STREET/z1/meter-1/obs" -m x 2>plain.err; then
    fail "a plain-TCP client could publish on the TLS listener"
fi
# The engine refuses a broker whose certificate its CA did not sign.
"$STRATUM" device monitor --broker "$URL" --db reg.db --street $STREET --cred broker/engine.cred \
    --client-id spy --ca rogue.crt --cert engine.crt --certkey engine.key >spy.out 2>spy.err &
SPY=$!
PIDS+=("$SPY")
sleep 3
grep -q "subscribed to" spy.err && fail "engine trusted a broker certificate its CA did not sign"
kill -TERM "$SPY" 2>/dev/null || true
wait "$SPY" 2>/dev/null || true
ok "no certificate, a rogue CA's certificate, plain TCP and an untrusted broker are all refused"

monitor_stop
[ "$(count accepted)" = 4 ] || fail "accepted $(count accepted), expected 4"
ok "engine accepted exactly the 4 signed packs (2 sent, 2 from the analyser)"
