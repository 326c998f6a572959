#!/usr/bin/env bash
# stratum obs check: runs the real binary on generated JSON Lines (good, bad,
# blank, CRLF, over-long and unterminated lines) and a multi-line pack, and
# checks stdout, stderr and the exit status.
source "$(dirname "$0")/lib.sh"
[ -x "$STRATUM" ] || skip "$STRATUM not built (make first)"

NOW=1764270000
in="$TMP/packs.jsonl"
good1='[{"bn":"z1/meter-1/","bt":1764270000,"n":"LAeq","u":"dB","v":62.5},{"n":"LAFmax","u":"dB","v":70.1,"t":0.5},{"n":"band:31.5","u":"dB","v":40}]'
bad_unit='[{"n":"z1/meter-1/LAeq","u":"dBA","v":62.5}]'
good2='[{"bn":"z2/cam-1/","n":"peopleIn","u":"count","v":3,"t":-2},{"n":"occupancy","u":"count","v":41}]'
bad_syntax='[{"n":"z1/meter-1/LAeq","u":"dB","v":62.5,}]'
bad_range='[{"bn":"z1/m/","bu":"dB","n":"LAeq","v":60},{"n":"LAeq","v":61},{"n":"LAeq","v":62},{"n":"LAeq","v":250}]'
good3='[{"n":"z3/wx-1/temperature","u":"Cel","v":-4.5,"t":1764270100}]'
{
    echo "$good1"                          # line 1, pack 1
    echo "$bad_unit"                       # line 2, pack 2
    echo ""                                # line 3, blank: skipped
    printf '%s\r\n' "$good2"               # line 4, pack 3 (CRLF)
    echo "$bad_syntax"                     # line 5, pack 4
    # line 6, pack 5: 66,034 bytes, over the limit, with a valid-looking start
    python3 -c 'import sys; sys.stdout.write("[" + "{\"n\":\"z1/m/LAeq\",\"u\":\"dB\",\"v\":1}," * 2000 + "{\"n\":\"z1/m/LAeq\",\"u\":\"dB\",\"v\":1}]\n")'
    echo "$bad_range"                      # line 7, pack 6
    printf '%s' "$good3"                   # line 8, pack 7, no final newline
} >"$in"

set +e
"$STRATUM" obs check --now "$NOW" "$in" >"$TMP/out" 2>"$TMP/err"
rc=$?
set -e
cat "$TMP/err"
[ $rc -eq 1 ] || fail "exit status $rc, expected 1 (some packs refused)"

# Records of the valid packs, in order, exactly.
cat >"$TMP/want" <<'EOF'
{"pack":1,"n":"z1/meter-1/LAeq","zone":"z1","device":"meter-1","u":"dB","v":62.5,"t":1764270000}
{"pack":1,"n":"z1/meter-1/LAFmax","zone":"z1","device":"meter-1","u":"dB","v":70.1,"t":1764270000.5}
{"pack":1,"n":"z1/meter-1/band:31.5","zone":"z1","device":"meter-1","u":"dB","v":40,"t":1764270000}
{"pack":3,"n":"z2/cam-1/peopleIn","zone":"z2","device":"cam-1","u":"count","v":3,"t":1764269998}
{"pack":3,"n":"z2/cam-1/occupancy","zone":"z2","device":"cam-1","u":"count","v":41,"t":1764270000}
{"pack":7,"n":"z3/wx-1/temperature","zone":"z3","device":"wx-1","u":"Cel","v":-4.5,"t":1764270100}
EOF
diff -u "$TMP/want" "$TMP/out" || fail "stdout differs"
ok "records of valid packs"

expect_err() { grep -qF -- "$1" "$TMP/err" || fail "stderr lacks: $1"; }
expect_err 'pack 2 (line 2): record 0 field "u": unit "dBA" is not "dB", the unit of LAeq'
expect_err 'pack 4 (line 5): record 0: invalid JSON at byte'
expect_err 'pack 5 (line 6): line is 66034 bytes, longer than the 65536 a pack may have'
expect_err 'pack 6 (line 7): record 3 field "v": 250 is above the maximum 200 for LAeq (dB)'
expect_err '7 packs: 3 valid (6 records), 4 refused'
[ "$(wc -l <"$TMP/err")" -eq 5 ] || fail "stderr has $(wc -l <"$TMP/err") lines, expected 5"
ok "errors and summary"

# Every output line is JSON that jq reads, when jq is present.
if command -v jq >/dev/null; then
    jq -e 'has("pack") and has("zone") and has("t")' "$TMP/out" >/dev/null || fail "jq rejects output"
    ok "output is JSON"
fi

# All valid: exit 0, from standard input.
printf '%s\n%s\n' "$good1" "$good2" | "$STRATUM" obs check --now="$NOW" - >"$TMP/out2" 2>"$TMP/err2" ||
    fail "all-valid input: exit $?"
[ "$(wc -l <"$TMP/out2")" -eq 5 ] || fail "all-valid input: $(wc -l <"$TMP/out2") records"
grep -qxF '2 packs: 2 valid (5 records), 0 refused' "$TMP/err2" || fail "all-valid summary: $(cat "$TMP/err2")"
ok "stdin, all valid"

# One pack over several lines (the first line leaves the array open).
cat >"$TMP/multi.json" <<'EOF'
[
  {"bn": "z1/meter-1/", "bt": 1764270000, "n": "LAeq", "u": "dB", "v": 62.5},
  {"n": "event:glass", "u": "/", "v": 0.9}
]
EOF
"$STRATUM" obs check --now "$NOW" "$TMP/multi.json" >"$TMP/out3" 2>"$TMP/err3" || fail "multi-line pack: exit $?"
grep -qF '{"pack":1,"n":"z1/meter-1/event:glass","zone":"z1","device":"meter-1","u":"/","v":0.9,"t":1764270000}' \
    "$TMP/out3" || fail "multi-line pack output: $(cat "$TMP/out3")"
grep -qxF '1 pack: 1 valid (2 records), 0 refused' "$TMP/err3" || fail "multi-line summary: $(cat "$TMP/err3")"
sed -i 's/"v": 0.9/"v": 9/' "$TMP/multi.json"
set +e
"$STRATUM" obs check --now "$NOW" "$TMP/multi.json" >/dev/null 2>"$TMP/err4"
rc=$?
set -e
[ $rc -eq 1 ] || fail "bad multi-line pack: exit $rc"
grep -qF 'pack 1 (lines 1-4): record 1 field "v": 9 is above the maximum 1 for event:glass (/)' "$TMP/err4" ||
    fail "bad multi-line pack: $(cat "$TMP/err4")"
ok "multi-line pack"

# Usage errors exit 2; --help exits 0.
for args in "" "check" "check --now" "check --now abc $in" "check --now 5 $in" "check --bogus $in" \
    "check $in $in" "frob" "check $TMP/does-not-exist"; do
    set +e
    # shellcheck disable=SC2086
    "$STRATUM" obs $args >/dev/null 2>&1
    rc=$?
    set -e
    [ $rc -eq 2 ] || fail "'stratum obs $args' exit $rc, expected 2"
done
"$STRATUM" obs --help | has 'usage: stratum obs check' || fail "obs --help"
"$STRATUM" obs check --help | has -- '--now EPOCH' || fail "obs check --help"
ok "usage errors and help"
