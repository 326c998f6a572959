#!/usr/bin/env bash
# Runs every unit-test program and integration script of one build, then prints
# one closing line "tests: N passed, N failed[, N skipped]". Exit 0 only if none failed.
# STRATUM_BUILD names the build folder (build or build-asan).
set -u
cd "$(dirname "$0")/.."
build=${STRATUM_BUILD:-build}
out=tests/out/$build
mkdir -p "$out"
passed=0 failed=0 skipped=0 failed_names=()

run_one() { # name, command...
    local name=$1; shift
    local log="$out/${name//\//_}.log" start=$SECONDS rc
    "$@" >"$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1)); printf '  ok    %-40s %3ds\n' "$name" $((SECONDS - start))
    elif [ $rc -eq 77 ]; then
        skipped=$((skipped + 1)); printf '  skip  %-40s %s\n' "$name" "$(grep -m1 -i skip "$log")"
    else
        failed=$((failed + 1)); failed_names+=("$name")
        printf '  FAIL  %-40s (exit %d, log %s)\n' "$name" $rc "$log"
        tail -n 30 "$log" | sed 's/^/        /'
    fi
}

echo "unit tests ($build):"
for t in $(find "$build/tests" -type f -perm -u+x -name 'test_*' 2>/dev/null | sort); do
    run_one "${t#"$build"/tests/}" "$t"
done
echo "integration tests ($build):"
for t in tests/integration/*.sh; do
    [ "$(basename "$t")" = lib.sh ] && continue
    [ -e "$t" ] || continue
    run_one "integration/$(basename "$t" .sh)" env STRATUM_BUILD="$build" bash "$t"
done
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
