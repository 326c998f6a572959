#!/usr/bin/env bash
# kill -9 during a run loses no transition or intervention reported as written.
source "$(dirname "$0")/lib.sh"
cd "$TMP"
"$STRATUM" run --speed 2000 --db k.db >run.out 2>run.err &
pid=$!
PIDS+=("$pid")
# Wait until a good number of writes have been reported, then kill mid-stream.
wait_for 60 bash -c "[ \$(grep -c 'written\]' run.out) -ge 12 ]" || fail "too few writes reported"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
tr_ids=$(sed -n 's/.*\[transition \([0-9]*\) written\].*/\1/p' run.out)
iv_ids=$(sed -n 's/.*\[intervention \([0-9]*\) written\].*/\1/p' run.out)
[ -n "$tr_ids" ] || fail "no transition reported before the kill"
n=0
for id in $tr_ids; do
    [ "$(sqlite3 k.db "select count(*) from transitions where id=$id")" = 1 ] \
        || fail "transition $id was reported written but is missing after kill -9"
    n=$((n + 1))
done
for id in $iv_ids; do
    [ "$(sqlite3 k.db "select count(*) from interventions where id=$id")" = 1 ] \
        || fail "intervention $id was reported written but is missing after kill -9"
    n=$((n + 1))
done
[ "$(sqlite3 k.db 'pragma integrity_check')" = ok ] || fail "database damaged after kill -9"
ok "$n reported writes all present after kill -9; integrity ok"
