#!/usr/bin/env bash
# Builds caloflow and runs the whole test suite (XCTest and Swift Testing) in the release
# configuration, the one users run: the numerical tests (gradient checks, flow inverses,
# training smoke tests) are many times faster optimised, and they then check the code as it
# is shipped (-Ounchecked). Tests use only public API, so no testable build is needed.
#
# The whole suite runs under the OpenBLAS kernel chosen for this CPU; then the numerics suites
# run again, from the same test binary, under every other kernel the CPU can execute (SkylakeX
# needs AVX-512F, Cooperlake also AVX-512 BF16, which OpenBLAS picks on Zen 4 and 5; Haswell
# and Zen need AVX2 and FMA): the kernels block and order their sums
# differently, and no tolerance may depend on one of them. Exits non-zero if any run fails,
# and ends with a summary per kernel.
#
# Then builds and runs the embedding library's C test and examples (scripts/test-embedding.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

# The numerics suites rerun under the other kernels.
numerics='CaloTensorTests|CaloNNTests|CaloFlowsTests|CaloPipelineTests|CaloEvaluationTests'

# The kernels this CPU can run, the preferred one first.
flags=" $(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true) "
kernels=()
[[ "$flags" == *" avx512f "* ]] && kernels+=(SkylakeX)
[[ "$flags" == *" avx512f "* && "$flags" == *" avx512_bf16 "* ]] && kernels+=(Cooperlake)
[[ "$flags" == *" avx2 "* && "$flags" == *" fma "* ]] && kernels+=(Haswell Zen)

# The test binaries link OpenBLAS directly, so they cannot restart themselves the way the
# caloflow executable does when OpenBLAS fails to recognise the CPU: choose the kernel here.
main=${OPENBLAS_CORETYPE:-${kernels[0]:-}}
echo "test: OPENBLAS_CORETYPE=${main:-<unset>} for the whole suite; numerics suites also under: $(
    printf '%s ' "${kernels[@]}" | tr ' ' '\n' | grep -vxF -- "$main" | tr '\n' ' ')"

swift build -c release --build-tests

logs=()
trap 'rm -f "${logs[@]}"' EXIT
# A watchdog over each test run (built above): the whole suite takes about two minutes on 2
# cores; a hang (a deadlock is a bug) ends as a failure after CALOFLOW_TEST_TIMEOUT
# (default 30m) instead of using up CI's whole budget.
limit=${CALOFLOW_TEST_TIMEOUT:-30m}
summary=()
overall=0

# run_tests LABEL CORETYPE [swift test arguments...]
run_tests() {
    local label=$1 core=$2 log status total failed
    shift 2
    log=$(mktemp -t caloflow-test.XXXXXX)
    logs+=("$log")
    echo
    echo "== $label (OPENBLAS_CORETYPE=${core:-<unset>}) =="
    set +e
    if [ -n "$core" ]; then
        OPENBLAS_CORETYPE=$core timeout --kill-after=30s "$limit" swift test -c release --skip-build "$@" 2>&1 | tee "$log"
    else
        timeout --kill-after=30s "$limit" swift test -c release --skip-build "$@" 2>&1 | tee "$log"
    fi
    status=${PIPESTATUS[0]}
    set -e
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        echo "test: the run did not finish within $limit (hung?); tests still running:"
        comm -23 <(grep -oE "◇ Test [^ ]+ started" "$log" | awk '{print $3}' | sort -u) \
                 <(grep -E "(✔|✘) Test [^ ]+ .*(passed|failed) after" "$log" | grep -oE "(✔|✘) Test [^ ]+" | awk '{print $3}' | sort -u) | head -n 20
    fi
    echo
    echo "== test summary: $label (OPENBLAS_CORETYPE=${core:-<unset>}) =="
    # The suites use Swift Testing; XCTest's own line ("Executed 0 tests") is not shown to avoid confusion.
    grep -E "(✔|✘) Test run with" "$log" | tail -n 1 || true
    grep -E "✘ (Test|Suite) " "$log" | grep -v "Test run with" | head -n 40 || true
    total=$(grep -oE "Test run with [0-9]+ tests?" "$log" | tail -n 1 | grep -oE "[0-9]+" || echo 0)
    failed=$(grep -cE "^✘ Test .* failed" "$log" || true)
    if [ "$status" -eq 0 ] && [ "${total:-0}" -gt 0 ]; then
        summary+=("$label, OPENBLAS_CORETYPE=${core:-<unset>}: $(( ${total:-0} - ${failed:-0} )) passed, ${failed:-0} failed")
    else
        [ "$status" -eq 0 ] && status=1   # no test ran: that is a failure too
        summary+=("$label, OPENBLAS_CORETYPE=${core:-<unset>}: FAILED (swift test exit $status): $(( ${total:-0} - ${failed:-0} )) passed, ${failed:-0} failed")
        overall=$status
    fi
}

run_tests "whole suite" "$main"
for k in "${kernels[@]}"; do
    [ "$k" = "$main" ] && continue
    run_tests "numerics suites" "$k" --filter "$numerics"
done

# The embedding library from outside Swift: the C-side tests and the C, C++ and Python examples
# (scripts/test-embedding.sh; about 10 s).
echo
echo "== embedding library: C test and examples =="
set +e
bash scripts/test-embedding.sh
embedding_status=$?
set -e

echo
if [ "$embedding_status" -eq 0 ]; then
    summary+=("embedding library: C test and examples passed")
else
    summary+=("embedding library: C test or examples FAILED (scripts/test-embedding.sh exit $embedding_status)")
    [ "$overall" -eq 0 ] && overall=1
fi
echo "== test summary, all runs =="
printf '%s\n' "${summary[@]}"
if [ "$overall" -eq 0 ]; then echo "test: all tests passed"; else echo "test: FAILED"; fi
exit "$overall"
