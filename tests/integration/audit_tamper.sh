#!/usr/bin/env bash
# stratum audit verify / show on a real chain (evidence imports append records,
# each signs the head): every kind of tampering is detected with its position.
source "$(dirname "$0")/lib.sh"
[ -x "$STRATUM" ] || skip "no $STRATUM (run make first)"
command -v python3 >/dev/null || skip "python3 is needed to write fixture episodes"
command -v sqlite3 >/dev/null || skip "the sqlite3 shell is needed to tamper with the store"
cd "$TMP"

"$STRATUM" run --speed 0 --quiet --db src.db --set sim.night_hours=0.1 --set audit.key=src.key \
    --set http.port=0 --set light.protocol=off >/dev/null 2>&1 ||
    fail "stratum run could not create the store"
python3 - src.db <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
run = db.execute("INSERT INTO runs(started,label) VALUES (0,'fixture') RETURNING id").fetchone()[0]
for i, arm in enumerate(["control", "calm-warm"] * 10):
    eid = db.execute("INSERT INTO episodes(run,zone,t,entered,stratum,policy,arm,seed,draw,window_s)"
                     " VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING id",
                     (run, "z2", 1795809600.0 + 700 * i, "escalating", "late/mid", "random", arm, "5", i, 600.0)).fetchone()[0]
    db.execute("INSERT INTO episode_outcomes(episode_id,t,incident,calm_after_s) VALUES (?,?,?,?)",
               (eid, 1795810200.0 + 700 * i, i % 7 == 0, None if i % 3 else 120.0))
db.commit()
PY
# Four bundles (four city names), imported into one store: four records, four signed heads.
# An empty store at the current schema (no run: the chain starts empty).
"$STRATUM" device list --db chain.db >/dev/null 2>&1 || fail "could not create chain.db"
for c in Arnhem Breda Delft Ede; do
    "$STRATUM" evidence export --db src.db --city "$c" --key src.key -o "$c.bundle" 2>/dev/null ||
        fail "export $c"
    "$STRATUM" evidence import "$c.bundle" --db chain.db --key chain.key >/dev/null ||
        fail "import $c"
done
"$STRATUM" audit verify --db chain.db --key chain.key >v.txt || fail "intact chain: $(cat v.txt)"
grep -q "chain intact: 4 records, 4 signed heads, newest covers record 4" v.txt ||
    fail "verify: $(cat v.txt)"
ok "intact chain verifies"

# Paging.
"$STRATUM" audit show --db chain.db --limit 2 >p1.txt || fail "show"
[ "$(grep -c evidence-import p1.txt)" = 2 ] || fail "page 1: $(cat p1.txt)"
grep -q "next page: --from 3" p1.txt || fail "no next-page hint: $(cat p1.txt)"
"$STRATUM" audit show --db chain.db --from 3 --limit 2 >p2.txt
grep -q "Delft" p2.txt && grep -q "Ede" p2.txt && grep -q "end of the chain" p2.txt ||
    fail "page 2: $(cat p2.txt)"
"$STRATUM" audit show --db chain.db --json --from 4 | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline()); assert r["seq"] == 4 and r["kind"] == "evidence-import", r
assert json.loads(r["detail"])["city"] == "Ede"' || fail "show --json"
ok "show pages through records"

tampered() { # name sql expected-message
    cp chain.db "$1.db"
    sqlite3 "$1.db" "$2" || fail "$1: sql failed"
    if "$STRATUM" audit verify --db "$1.db" --key chain.key >out.txt 2>&1; then
        fail "$1 not detected: $(cat out.txt)"
    fi
    grep -q "$3" out.txt || fail "$1: expected '$3', got: $(cat out.txt)"
    ok "$1 detected: $(cat out.txt)"
}
tampered byte "UPDATE audit SET detail = replace(detail, 'Breda', 'Brede') WHERE seq = 2" \
    "TAMPERED at record 2: record 2 does not match its hash"
tampered delete "DELETE FROM audit WHERE seq = 3" "TAMPERED at record 3: record 3 is missing"
# seq is the rowid: renumbering two rows swaps them in the chain's order.
tampered swap "UPDATE audit SET seq = -2 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3;
               UPDATE audit SET seq = 3 WHERE seq = -2" \
    "TAMPERED at record 2: record 2 does not match its hash"
tampered truncate "DELETE FROM audit WHERE seq = 4" "TAMPERED at record 4: .*truncated after record 3"
tampered forge "UPDATE audit_heads SET sig = zeroblob(64) WHERE id = 2" \
    "signed head 2 (record 2) has an invalid signature"
"$STRATUM" audit verify --db chain.db --key src.key >out.txt 2>&1 && fail "wrong key accepted"
grep -q "invalid signature" out.txt || fail "wrong key: $(cat out.txt)"
ok "a head checked with another installation's key fails"
