# Helpers for the actuation tests (sourced after lib.sh): start OLA's olad as an
# unprivileged user with only the E1.31 and Art-Net plugins, bound to loopback.
# Not a test itself (run.sh only runs *.sh).

# olad refuses to run as root: use $OLA_USER (default stratum-test, created if
# missing and we are root), or run directly when we are not root.
ola_user_prefix() {
    if [ "$(id -u)" != 0 ]; then return 0; fi
    local u=${OLA_USER:-stratum-test}
    if ! id "$u" >/dev/null 2>&1; then
        useradd -r -M -s /usr/sbin/nologin "$u" >/dev/null 2>&1 || return 1
    fi
    echo "runuser -u $u --"
}

# start_olad HTTP_PORT: config in $TMP/ola, patch E1.31 input ports 0..4 to
# OLA universes 1..5 (sACN universes 1..5) and Art-Net input ports 0..3 to OLA
# universes 16..19 (Art-Net Port-Address 0..3: OLA uses the low nibble).
start_olad() {
    local http=$1 rpc dir=$TMP/ola prefix
    command -v olad >/dev/null || skip "olad (Debian package ola) is not installed"
    prefix=$(ola_user_prefix) || skip "cannot create an unprivileged user for olad"
    rpc=$(free_port)
    mkdir -p "$dir"
    for p in dummy espnet ftdidmx gpio karate kinet milinst opendmx openpixelcontrol osc \
             pathport renard sandnet shownet spi stageprofi uartdmx usbdmx usbserial dmx4linux \
             nanoleaf; do
        echo "enabled = false" >"$dir/ola-$p.conf"
    done
    cat >"$dir/ola-e131.conf" <<CONF
enabled = true
ip = 127.0.0.1
input_ports = 5
output_ports = 0
revision = 0.46
ignore_preview = true
draft_discovery = false
dscp = 0
prepend_hostname = true
CONF
    cat >"$dir/ola-artnet.conf" <<CONF
enabled = true
ip = 127.0.0.1
net = 0
subnet = 0
output_ports = 0
use_loopback = true
always_broadcast = false
use_limited_broadcast = false
short_name = stratum-test
long_name = stratum-test
CONF
    {
        for i in 0 1 2 3 4; do echo "11-1-I-$i = $((i + 1))"; done
        for i in 0 1 2 3; do echo "2-1-I-$i = $((16 + i))"; done
    } >"$dir/ola-port.conf"
    chmod -R a+rwX "$TMP"
    chmod a+x "$TMP"
    $prefix olad -c "$dir" -p "$http" -r "$rpc" --no-register-with-dns-sd -l 2 \
        >"$TMP/olad.log" 2>&1 &
    PIDS+=($!)
    OLAD_HTTP=$http
    wait_for 20 curl -sf "http://127.0.0.1:$http/get_dmx?u=1" || {
        tail -20 "$TMP/olad.log"; fail "olad did not answer on port $http"
    }
}

# dmx U: the 512 values olad holds for OLA universe U, space separated.
dmx() {
    curl -sf "http://127.0.0.1:$OLAD_HTTP/get_dmx?u=$1" |
        python3 -c 'import json,sys; print(" ".join(map(str, json.load(sys.stdin)["dmx"])))'
}

# dmx_first U N: the first N values of universe U.
dmx_first() { dmx "$1" | cut -d' ' -f1-"$2"; }

# wait_dmx SECONDS U EXPECTED: until the first values of U equal EXPECTED.
wait_dmx() {
    local limit=$1 u=$2 want=$3 n
    n=$(echo "$want" | wc -w)
    local end=$((SECONDS + limit)) got
    while :; do
        got=$(dmx_first "$u" "$n" 2>/dev/null || true)
        [ "$got" = "$want" ] && return 0
        [ $SECONDS -lt $end ] || { echo "universe $u: got '$got', want '$want'" >&2; return 1; }
        sleep 0.1
    done
}

# Stop the orphaned watchdog a killed stratum left behind (pid in the lock file).
stop_watchdog() {
    local lock=$1/light.lock pid
    [ -f "$lock" ] || return 0
    pid=$(cut -d' ' -f1 "$lock")
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
}
