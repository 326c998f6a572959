#!/usr/bin/env bash
# The command line: help for every command, clear errors, exit statuses.
source "$(dirname "$0")/lib.sh"
"$STRATUM" --help | has '^commands:' || fail "stratum --help lists no commands"
cmds=$("$STRATUM" --help | awk '/^commands:/{f=1;next} f && !NF {exit} f {print $1}')
for c in $cmds; do
    "$STRATUM" "$c" --help >"$TMP/help" 2>&1 || fail "stratum $c --help exited $?"
    grep -qi usage "$TMP/help" || fail "stratum $c --help shows no usage"
done
ok "help for: $(echo $cmds)"
set +e
"$STRATUM" frobnicate 2>"$TMP/err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "unknown command exited $rc, expected 2"
grep -q "'frobnicate' is not a command" "$TMP/err" || fail "unclear unknown-command message"
set +e
"$STRATUM" run --speed fast 2>"$TMP/err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "bad --speed exited $rc"
grep -q -- "--speed: run.speed: 'fast' is not a number" "$TMP/err" || fail "unclear --speed message: $(cat "$TMP/err")"
set +e
"$STRATUM" run --broker mqtt://127.0.0.1:1 --verify-threads 17 2>"$TMP/err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "--verify-threads 17 exited $rc"
grep -q -- "--verify-threads: '17' is not a whole number from 0 to 16" "$TMP/err" ||
    fail "unclear --verify-threads message: $(cat "$TMP/err")"
set +e
"$STRATUM" run --verify-threads 1 2>"$TMP/err"; rc=$?
set -e
[ $rc -eq 2 ] || fail "--verify-threads without --broker exited $rc"
grep -q -- "--verify-threads applies to --broker only" "$TMP/err" ||
    fail "unclear --verify-threads message: $(cat "$TMP/err")"
"$STRATUM" --version | has '^stratum [0-9]' || fail "--version"
ok "errors and exit statuses"
