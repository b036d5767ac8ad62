#!/usr/bin/env bash
# Builds caloflow and runs the whole test suite (XCTest and Swift Testing) in the release
# configuration, the one users run: the numerical tests (gradient checks, flow inverses,
# training smoke tests) are many times faster optimised, and they then check the code as it
# is shipped (-Ounchecked). Tests use only public API, so no testable build is needed.
# Then builds and runs the embedding library's C test and examples (scripts/test-embedding.sh).
# Exits non-zero on any failure and ends with a short summary.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# The test binaries link OpenBLAS directly, so they cannot restart themselves the way the
# caloflow executable does when OpenBLAS fails to recognise the CPU: choose the kernel here.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
    if [[ " $flags " == *" avx512f "* ]]; then
        export OPENBLAS_CORETYPE=SkylakeX
    elif [[ " $flags " == *" avx2 "* && " $flags " == *" fma "* ]]; then
        export OPENBLAS_CORETYPE=Haswell
    fi
fi
echo "test: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>}"

swift build -c release --build-tests

log=$(mktemp -t caloflow-test.XXXXXX)
trap 'rm -f "$log"' EXIT
# A watchdog over the tests alone (built above): they take under a minute on 2 cores; a hang
# (a deadlock is a bug) ends as a failure after CALOFLOW_TEST_TIMEOUT (default 30m) instead of
# using up CI's whole budget.
limit=${CALOFLOW_TEST_TIMEOUT:-30m}
set +e
timeout --kill-after=30s "$limit" swift test -c release --skip-build 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "test: the suite did not finish within $limit (hung?); tests still running:"
    comm -23 <(grep -oE "◇ Test [^ ]+ started" "$log" | awk '{print $3}' | sort -u) \
             <(grep -E "(✔|✘) Test [^ ]+ .*(passed|failed) after" "$log" | grep -oE "(✔|✘) Test [^ ]+" | awk '{print $3}' | sort -u) | head -n 20
fi

# The embedding library from outside Swift: the C-side tests and the C, C++ and Python examples
# (scripts/test-embedding.sh; about 10 s).
echo
echo "== embedding library: C test and examples =="
set +e
bash scripts/test-embedding.sh
embedding_status=$?
set -e

echo
echo "== test summary =="
# The suites use Swift Testing; XCTest's own line ("Executed 0 tests") is not shown to avoid confusion.
grep -E "(✔|✘) Test run with" "$log" | tail -n 1 || true
grep -E "✘ (Test|Suite) " "$log" | grep -v "Test run with" | head -n 40 || true
total=$(grep -oE "Test run with [0-9]+ tests?" "$log" | tail -n 1 | grep -oE "[0-9]+" || echo 0)
failed=$(grep -cE "^✘ Test .* failed" "$log" || true)
if [ "$status" -eq 0 ] && [ "${total:-0}" -gt 0 ]; then
    echo "test: all tests passed"
else
    echo "test: FAILED (swift test exit $status)"
    [ "$status" -eq 0 ] && status=1   # no test ran: that is a failure too
fi
echo "$(( ${total:-0} - ${failed:-0} )) passed, ${failed:-0} failed"
if [ "$embedding_status" -eq 0 ]; then
    echo "test: embedding C test and examples passed"
else
    echo "test: embedding C test or examples FAILED (scripts/test-embedding.sh exit $embedding_status)"
    [ "$status" -eq 0 ] && status=1
fi
exit "$status"
