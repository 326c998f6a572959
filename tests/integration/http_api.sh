#!/usr/bin/env bash
# The HTTP API over real sockets with curl: a simulated night behind st_http
# (tests/http/test_http --serve), reads, writes with and without the token,
# limits, event streams, metrics and the public register.
source "$(dirname "$0")/lib.sh"
HARNESS="$ROOT/$BUILD/tests/http/test_http"
[ -x "$HARNESS" ] || fail "$HARNESS is not built"
command -v curl >/dev/null || skip "curl is not installed"
cd "$TMP"

"$HARNESS" --serve "$TMP" --speed 600 >serve.out 2>serve.err &
PIDS+=($!)
wait_for 10 grep -q '^port ' serve.out || fail "the server did not start: $(cat serve.err)"
PORT=$(awk '/^port /{print $2}' serve.out)
URL="http://127.0.0.1:$PORT"
[ -s stratum.token ] || fail "no token file was created"
[ "$(stat -c %a stratum.token)" = 600 ] || fail "token file mode is $(stat -c %a stratum.token)"
grep -q "created the operator token in $TMP/stratum.token" serve.err || fail "token creation not logged"
TOKEN=$(cat stratum.token)

# code METHOD PATH [curl args...]: prints the status code, body in body.json
code() { local m=$1 p=$2; shift 2; curl -s -o body.json -w '%{http_code}' -X "$m" "$@" "$URL$p"; }
json() { python3 -c "import json,sys; d=json.load(open('body.json')); print($1)"; }

# 1. Reads.
[ "$(code GET /healthz)" = 200 ] || fail "/healthz"
[ "$(code GET /api/zones)" = 200 ] || fail "/api/zones"
[ "$(json 'len(d["zones"])')" = 5 ] || fail "expected 5 zones"
[ "$(json 'd["zones"][0]["id"]')" = z1 ] || fail "zones not in street order"
[ "$(code GET /api/zones/z2)" = 200 ] || fail "/api/zones/z2"
[ "$(code GET /api/zones/zz)" = 404 ] || fail "unknown zone is not 404"
# Wait until the night has produced transitions (a few seconds at speed 600).
has_transitions() { [ "$(code GET '/api/transitions?limit=5')" = 200 ] && [ "$(json 'len(d["transitions"])')" -gt 0 ]; }
wait_for 60 has_transitions || fail "no transitions after 60 s"
TID=$(json 'd["transitions"][0]["id"]')
[ "$(code GET "/api/transitions/$TID")" = 200 ] || fail "/api/transitions/$TID"
json 'd["trace"]["rule"]' | has 'score' || fail "trace has no rule sentence"
json 'd["trace"]["threshold"]' >/dev/null || fail "trace has no threshold"
[ "$(code GET '/api/transitions?zone=z1&since=0&limit=1000')" = 200 ] || fail "filtered list"
[ "$(json 'set(t["zone"] for t in d["transitions"]) <= {"z1"}')" = True ] || fail "zone filter leaks"
[ "$(code GET /api/zones/z1/minutes?limit=30)" = 200 ] || fail "minutes"
[ "$(json 'len(d["minutes"]) > 0 and all(m["state"] for m in d["minutes"])')" = True ] || fail "no minutes"
[ "$(code GET /api/interventions)" = 200 ] || fail "interventions"
[ "$(code GET /api/runs)" = 200 ] || fail "runs"
[ "$(code GET /api/alerts)" = 200 ] || fail "alerts"
[ "$(code GET /api/devices)" = 200 ] || fail "devices"
[ "$(json 'sorted(x["id"] for x in d["devices"])[:2]')" = "['cam-1', 'cam-2']" ] || fail "devices list"
[ "$(code GET /api/evidence)" = 404 ] || fail "evidence should be 404 until a provider exists"
json 'd["error"]' | has 'not available yet' || fail "evidence 404 lacks a clear error"
[ "$(code GET /api/audit)" = 200 ] || fail "audit"
[ "$(code GET /api)" = 200 ] || fail "/api index"
ok "reads: zones, transitions ($TID with trace), minutes, interventions, devices, evidence 404, audit"

# 2. Public register: HTML and JSON, no login.
[ "$(code GET /register)" = 200 ] || fail "/register"
grep -q '<td>meter-1</td>' body.json || fail "register HTML lacks meter-1"
grep -q 'No audio' body.json || fail "register HTML lacks what is not recorded"
[ "$(code GET /api/register)" = 200 ] || fail "/api/register"
[ "$(json 'len(d["sensors"])')" = 10 ] || fail "register should list 10 sensors"
[ "$(json 'all(s["owner"] and s["retention"] and "No " in s["does_not_record"] for s in d["sensors"])')" = True ] \
    || fail "register entries lack owner, retention or what is not recorded"
ok "sensor register"

# 3. Writes: 401 without or with a wrong token, and nothing changes.
audit_records() { code GET /api/audit >/dev/null; json 'd.get("records", 0)'; }
a0=$(audit_records)
# A wrong token: the real one with its last hex digit changed (never equal).
case ${TOKEN: -1} in 0) WRONG="${TOKEN%?}1" ;; *) WRONG="${TOKEN%?}0" ;; esac
for body in '{"scene":"calm-warm","zone":"z1"}'; do
    [ "$(code POST /api/scene -d "$body")" = 401 ] || fail "scene without token"
    [ "$(code POST /api/scene -H "Authorization: Bearer $WRONG" -d "$body")" = 401 ] || fail "scene, wrong token"
    [ "$(code POST /api/scene -H "Authorization: Basic $TOKEN" -d "$body")" = 401 ] || fail "scene, Basic"
done
[ "$(code POST /api/policy/pin -d '{"policy":"control"}')" = 401 ] || fail "pin without token"
[ "$(code POST /api/alerts/1/ack)" = 401 ] || fail "ack without token"
curl -s -D hdr.txt -o /dev/null -X POST "$URL/api/scene" -d '{}'
grep -qi '^WWW-Authenticate: Bearer' hdr.txt || fail "401 without a Bearer challenge"
[ "$(audit_records)" = "$a0" ] || fail "a refused write was audit-logged as done"
curl -s -N --max-time 2 "$URL/api/events" >events0.txt || true
grep -q 'asked: scene' events0.txt && fail "a refused write reached the engine"
# With the token: 202, queued, executed by the loop, audit-logged.
[ "$(code POST /api/scene -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"scene":"calm-warm","zone":"z1"}')" = 202 ] || fail "scene with token: $(cat body.json)"
seq=$(json 'd["audit_seq"]')
[ "$seq" -gt 0 ] || fail "accepted write has no audit record"
[ "$(audit_records)" -eq $((a0 + 1)) ] || fail "audit records did not grow by one"
[ "$(json 'd["status"]')" = ok ] || fail "audit chain not ok after a write: $(cat body.json)"
curl -s -N --max-time 2 "$URL/api/events" >events1.txt || true
grep -q "asked: scene 'calm-warm' in z1" events1.txt || fail "the command did not reach the engine loop"
[ "$(code POST /api/scene -H "Authorization: Bearer $TOKEN" -d '{"scene":"x","zone":"nope"}')" = 404 ] \
    || fail "unknown zone in a write"
[ "$(code POST /api/scene -H "Authorization: Bearer $TOKEN" -d '{"scene":')" = 400 ] || fail "malformed JSON"
[ "$(code POST /api/policy/pin -H "Authorization: Bearer $TOKEN" -d '{"policy":"control"}')" = 202 ] || fail "pin"
ok "writes: 401 without/with a wrong token (nothing changed), 202 with it (audit record $seq)"

# 4. Limits and malformed requests: 4xx, and the server lives on.
head -c 100000 /dev/zero | tr '\0' a >big.txt
[ "$(code POST /api/scene -H "Authorization: Bearer $TOKEN" --data-binary @big.txt)" = 413 ] || fail "big body"
long=$(head -c 3000 /dev/zero | tr '\0' b)
[ "$(code GET "/api/zones?x=$long")" = 414 ] || fail "long URL"
[ "$(code DELETE /api/zones)" = 405 ] || fail "DELETE"
[ "$(code GET /api/transitions?limit=-4)" = 400 ] || fail "negative limit"
[ "$(code GET /api/transitions/abc)" = 400 ] || fail "bad id"
[ "$(code GET /api/nothing)" = 404 ] || fail "unknown endpoint"
[ "$(code GET /../../etc/passwd --path-as-is)" = 404 ] || fail "path traversal"
# (A request line libmicrohttpd 0.9.75 cannot split at all, e.g. "GARBAGE", is
# answered by closing the connection; anything it can parse gets a 4xx.)
printf 'NONSENSE / HTTP/1.1\r\nHost: x\r\n\r\n' |
    timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat >&3; head -c 12 <&3" \
    | has '^HTTP/1.1 405' || fail "unknown method"
printf 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n' |
    timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT; cat >&3; head -c 12 <&3" \
    | has '^HTTP/1.1 400' || fail "bad Content-Length"
[ "$(code GET /healthz)" = 200 ] || fail "the server died"
ok "limits: 413, 414, 405, 400, 404; garbage answered 4xx"

# 5. Event streams: do not block other requests; resume with Last-Event-ID.
curl -s -N --max-time 6 "$URL/api/events" >stream.txt &
spid=$!
sleep 1
for i in 1 2 3 4 5; do [ "$(code GET /api/zones)" = 200 ] || fail "request blocked by a stream"; done
wait $spid || true
grep -q '^event: zones' stream.txt || fail "no zones snapshots on the stream"
last=$(grep '^id: ' stream.txt | tail -1 | cut -d' ' -f2)
first=$(grep '^id: ' stream.txt | head -1 | cut -d' ' -f2)
[ -n "$last" ] || fail "no events with ids on the stream"
curl -s -N --max-time 2 -H "Last-Event-ID: $first" "$URL/api/events" >resume.txt || true
next=$(grep '^id: ' resume.txt | head -1 | cut -d' ' -f2)
[ "$next" -gt "$first" ] || fail "resume after $first started at $next"
ok "event stream: zones snapshots, events $first..$last, resume after $first at $next"

# 6. Metrics: Prometheus text format.
[ "$(code GET /metrics)" = 200 ] || fail "/metrics"
python3 - body.json <<'PY' || fail "/metrics is not valid exposition format"
import re, sys
sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (NaN|[-+]?[0-9.eE+-]+)$')
names = set()
for line in open(sys.argv[1]):
    line = line.rstrip('\n')
    if line.startswith('#'):
        assert re.match(r'^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$', line), line
        continue
    assert sample.match(line), line
    names.add(line.split('{')[0].split(' ')[0])
for need in ['stratum_ingest_packs_total', 'stratum_ingest_packs_refused_total', 'stratum_transitions_total',
             'stratum_zone_state', 'stratum_zone_state_duration_seconds', 'stratum_actuations_total',
             'stratum_state_seconds_total', 'stratum_http_responses_total']:
    assert need in names, need
PY
grep -q '^stratum_http_responses_total{code="401"} [1-9]' body.json || fail "401s not counted"
grep -q '^stratum_ingest_packs_total [1-9]' body.json || fail "no packs counted"
ok "metrics"
