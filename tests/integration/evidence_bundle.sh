#!/usr/bin/env bash
# stratum evidence: report (text, --json, --csv), signed export, import, and
# refusal of bad signatures, wrong schemas and impossible counts with nothing changed.
source "$(dirname "$0")/lib.sh"
[ -x "$STRATUM" ] || skip "no $STRATUM (run make first)"
command -v python3 >/dev/null || skip "python3 is needed to write fixture episodes"
command -v openssl >/dev/null || skip "openssl is needed to sign crafted bundles"
command -v sqlite3 >/dev/null || skip "the sqlite3 shell is needed to inspect the store"
command -v xxd >/dev/null || skip "xxd is needed to build a DER key"
cd "$TMP"

# A store with the current schema (a short simulated night), then fixture
# episodes: control 8 incidents in 40, calm-warm 2 in 40 (randomised).
mkstore() { # db seed-offset
    "$STRATUM" run --speed 0 --quiet --db "$1" --set sim.night_hours=0.1 \
        --set audit.key="${1%.db}.key" --set http.port=0 --set light.protocol=off >/dev/null 2>&1 ||
        fail "stratum run could not create $1"
    python3 - "$1" "$2" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); off = int(sys.argv[2])
run = db.execute("INSERT INTO runs(started,label) VALUES (0,'fixture') RETURNING id").fetchone()[0]
t = 1795809600.0 + off
for arm, n, inc, settled in (("control", 40, 8, 10), ("calm-warm", 40, 2, 20)):
    for i in range(n):
        t += 700
        eid = db.execute("INSERT INTO episodes(run,zone,t,entered,stratum,policy,arm,seed,draw,window_s)"
                         " VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
                         (run, "z1", t, "tense", "peak/high", "random", arm, "42", i, 600.0)).fetchone()[0]
        calm = 300.0 if inc <= i < inc + settled else None
        db.execute("INSERT INTO episode_outcomes(episode_id,t,incident,calm_after_s) VALUES (?,?,?,?)",
                   (eid, t + 600, 1 if i < inc else 0, calm))
db.commit()
PY
}
mkstore a.db 0
mkstore b.db 7

# Report: text, CSV, JSON carry the same numbers.
"$STRATUM" evidence report --db a.db >report.txt || fail "report failed"
grep -q "risk difference -0.150 \[-0.307, -0.005\] (miettinen-nurminen)" report.txt || fail "text report: $(cat report.txt)"
grep -q "risk ratio 0.25" report.txt || fail "no risk ratio"
"$STRATUM" evidence report --db a.db --csv | has "^calm-warm,40,2,40,8,0.05,0.2,-0.15," ||
    fail "csv report"
"$STRATUM" evidence report --db a.db --json | python3 -c '
import json, sys
r = json.load(sys.stdin)["comparisons"][0]
assert r["arm"] == "calm-warm" and r["episodes"] == 40 and r["control_incidents"] == 8, r
assert abs(r["risk_difference"]["est"] + 0.15) < 1e-9 and r["too_small"] is False, r
' || fail "json report"
ok "report: text, csv and json agree"

# Export: signed, the key file created with mode 0600, nothing personal inside.
"$STRATUM" evidence export --db a.db --city Eindhoven --key a.key -o a.bundle 2>export.err ||
    fail "export: $(cat export.err)"
[ "$(stat -c %a a.key)" = 600 ] || fail "installation key mode is $(stat -c %a a.key)"
grep -q '"signature"' a.bundle || fail "bundle without signature"
! grep -Eq 'z1|meter|cam-' a.bundle || fail "bundle names zones or devices"
ok "export: signed bundle, key 0600"

snapshot() { sqlite3 b.db "SELECT count(*) FROM evidence_imports; SELECT count(*) FROM evidence_counts; SELECT count(*) FROM audit;" | tr '\n' ' '; }
before=$(snapshot)
refused() { # file expected-message
    if "$STRATUM" evidence import "$1" --db b.db --key b.key >out.txt 2>err.txt; then
        fail "$1 was imported: $(cat out.txt)"
    fi
    grep -q "$2" err.txt || fail "$1: expected '$2', got: $(cat err.txt)"
    grep -q "nothing imported" err.txt || fail "$1: message does not say nothing was imported"
    [ "$(snapshot)" = "$before" ] || fail "$1: the store changed: $(snapshot) vs $before"
}

# Bad signature: one digit of the body changed.
sed 's/\\"incidents\\":8/\\"incidents\\":7/' a.bundle >tampered.bundle
cmp -s a.bundle tampered.bundle && fail "tampering did not change the file"
refused tampered.bundle "bad signature"

# Correctly signed (with a's own key, via openssl) but wrong schema / impossible counts.
sign() { # body-file out-file: sign with a.key like the exporter does
    seed=$(sed -n 's/^seed = //p' a.key)
    { printf '302e020100300506032b657004220420'; printf '%s' "$seed"; } | xxd -r -p >k.der
    openssl pkey -inform DER -in k.der -out k.pem 2>/dev/null || skip "openssl without Ed25519"
    { printf 'stratum-evidence-v1\0'; cat "$1"; } >msg.bin
    sig=$(openssl pkeyutl -sign -inkey k.pem -rawin -in msg.bin | xxd -p | tr -d '\n')
    pk=$(python3 -c 'import json,sys; print(json.load(open("a.bundle"))["public_key"])')
    python3 - "$1" "$pk" "$sig" >"$2" <<'PY'
import json, sys
print(json.dumps({"format": "stratum-evidence-bundle", "body": open(sys.argv[1]).read(),
                  "public_key": sys.argv[2], "signature": sys.argv[3]}))
PY
}
python3 -c 'import json; print(json.load(open("a.bundle"))["body"], end="")' >body.json
sign body.json resigned.bundle
"$STRATUM" evidence import resigned.bundle --db b.db --key b.key --expect-key 0000000000000000000000000000000000000000000000000000000000000000 >/dev/null 2>err.txt &&
    fail "import ignored --expect-key"
grep -q "not by the expected key" err.txt || fail "expect-key message: $(cat err.txt)"
sed 's#stratum-evidence-bundle/1#stratum-evidence-bundle/9#' body.json >schema.json
sign schema.json schema.bundle
refused schema.bundle "schema"
sed 's/"incidents":8/"incidents":80/' body.json >counts.json
sign counts.json counts.bundle
refused counts.bundle "impossible counts"
ok "bad signature, wrong schema, impossible counts refused; store unchanged"

# The genuine bundle imports once; its own installation refuses it.
"$STRATUM" evidence import resigned.bundle --db b.db --key b.key >out.txt 2>err.txt ||
    fail "genuine bundle refused: $(cat err.txt)"
grep -q "city Eindhoven, 2 cells, 80 episodes" out.txt || fail "import summary: $(cat out.txt)"
before=$(snapshot)
refused resigned.bundle "imported before"
"$STRATUM" evidence import a.bundle --db a.db --key a.key >/dev/null 2>err.txt &&
    fail "own bundle imported"
grep -q "own key" err.txt || fail "own-key message: $(cat err.txt)"
ok "import once; duplicates and own bundles refused"

# Pooled report over both cities; the import is in the audit chain.
"$STRATUM" evidence report --pooled --db b.db >pooled.txt || fail "pooled report"
grep -q "calm-warm: 2 cities" pooled.txt || fail "pooled: $(cat pooled.txt)"
grep -q "tau^2" pooled.txt && grep -q "I^2" pooled.txt || fail "no heterogeneity in pooled report"
"$STRATUM" audit show --db b.db --kind evidence-import | has "Eindhoven" || fail "no audit record"
"$STRATUM" audit verify --db b.db --key b.key | has "^audit: OK" || fail "audit chain broken"
ok "pooled report and audit record"
