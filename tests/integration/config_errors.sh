#!/usr/bin/env bash
# `stratum run` configuration handling end to end: every bad file or --set gives
# exit status 2 and exactly one line naming FILE:LINE (or the key); the dump
# loads back to itself and the example file is the embedded default.
# SPDX-License-Identifier: Apache-2.0
source "$(dirname "$0")/lib.sh"

[ -x "$STRATUM" ] || skip "$STRATUM not built"
cd "$TMP"

# expect_error FILE_TEXT EXPECTED_LINE: load FILE_TEXT as street.conf; stratum
# must exit 2 and print EXPECTED_LINE as its only line on stderr.
n=0
expect_error() {
    local text=$1 want=$2 rc=0
    n=$((n + 1))
    printf '%b' "$text" >street.conf
    "$STRATUM" run --config street.conf --dump-config >out.txt 2>err.txt || rc=$?
    [ "$rc" -eq 2 ] || fail "case $n: exit $rc, expected 2 (stderr: $(cat err.txt))"
    [ -s out.txt ] && fail "case $n: wrote a dump despite the error"
    [ "$(wc -l <err.txt)" -eq 1 ] || fail "case $n: expected one line on stderr, got: $(cat err.txt)"
    [ "$(cat err.txt)" = "$want" ] || fail "case $n: got '$(cat err.txt)', expected '$want'"
}

expect_error '[engine]\nhold_s = abc\n' \
    "street.conf:2: engine.hold_s: 'abc' is not a number"
expect_error '# street\n[engine]\nwindw_short_s = 5\n' \
    "street.conf:3: unknown key 'windw_short_s' in [engine] (did you mean window_short_s?)"
expect_error '[rule tense]\nstates = tens\n' \
    "street.conf:2: [rule tense]: states: 'tens' is not a state (calm, lively, tense, escalating, incident)"
expect_error '[engine]\nhold_s = 1\nhold_s = 2\n' \
    "street.conf:3: duplicate key 'hold_s' in [engine] (first at line 2)"
expect_error '[zone a]\n[zone a]\n' \
    "street.conf:2: duplicate section [zone a] (first at line 1)"
expect_error '[engin]\n' \
    "street.conf:1: unknown section [engin] (did you mean [engine]?)"
expect_error '[engine]\nhold_s = 5000\n' \
    "street.conf:2: engine.hold_s: 5000 is outside 0..3600"
expect_error 'hold_s = 1\n' \
    "street.conf:1: key 'hold_s' outside any section"
expect_error '[zone]\n' \
    "street.conf:1: [zone] needs a name: [zone ID]"
expect_error '[zone a]\ntitle = "\xff"\n' \
    "street.conf:2: not valid UTF-8"
ok "file errors: $n cases, one FILE:LINE line each, exit 2"

rc=0
"$STRATUM" run --config no-such.conf --dump-config >/dev/null 2>err.txt || rc=$?
[ "$rc" -eq 2 ] || fail "missing file: exit $rc"
grep -qx "no-such.conf: cannot open: No such file or directory" err.txt ||
    fail "missing file: $(cat err.txt)"

# --set errors name the key; the lead's wrapper may prefix "stratum run: --set ...".
expect_set_error() {
    local kv=$1 want=$2 rc=0
    "$STRATUM" run --set "$kv" --dump-config >out.txt 2>err.txt || rc=$?
    [ "$rc" -eq 2 ] || fail "--set $kv: exit $rc"
    [ "$(wc -l <err.txt)" -eq 1 ] || fail "--set $kv: expected one line, got: $(cat err.txt)"
    grep -qF -- "$want" err.txt || fail "--set $kv: got '$(cat err.txt)', expected '$want'"
}
expect_set_error engine.hold_s=abc "engine.hold_s: 'abc' is not a number"
expect_set_error zone.z9.capacity=5 "zone.z9.capacity: there is no [zone z9] (defined: z1, z2, z3, z4, z5)"
expect_set_error engine.windw_short_s=5 "(did you mean window_short_s?)"
ok "--set errors"

# Cross-field validation after the file and --set.
printf '[engine]\nexit_tense = 0.6\n' >street.conf
rc=0
"$STRATUM" run --config street.conf --dump-config >/dev/null 2>err.txt || rc=$?
[ "$rc" -eq 2 ] || fail "validation: exit $rc"
grep -qF "engine.exit_tense (0.6) must be below engine.enter_tense (0.5): no hysteresis band" err.txt ||
    fail "validation: $(cat err.txt)"
# ... and a --set may repair what the file broke.
"$STRATUM" run --config street.conf --set engine.enter_tense=0.65 --dump-config >fixed.conf ||
    fail "--set did not repair the file's thresholds"
grep -qx "exit_tense = 0.6" fixed.conf || fail "fixed dump lacks exit_tense = 0.6"
ok "validation"

# The dump is the embedded default, equals the example's dump, and reloads to itself.
"$STRATUM" run --dump-config >default.conf || fail "--dump-config failed"
"$STRATUM" run --config "$ROOT/examples/stratumseind.conf" --dump-config >example.conf ||
    fail "examples/stratumseind.conf does not load"
cmp -s default.conf example.conf || fail "example differs from the default: $(diff default.conf example.conf | head -5)"
"$STRATUM" run --set engine.hold_s=20 --set zone.z1.title="North end" --set sim.seed=7 \
    --dump-config >set.conf || fail "--set dump failed"
grep -qx "hold_s = 20" set.conf || fail "dump lacks hold_s = 20"
grep -qx 'title = "North end"' set.conf || fail "dump lacks the new title"
"$STRATUM" run --config set.conf --dump-config >again.conf || fail "the dump does not load"
cmp -s set.conf again.conf || fail "dump round trip differs: $(diff set.conf again.conf | head -5)"
ok "dump round trip"
