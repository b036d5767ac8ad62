#!/usr/bin/env bash
# One point of the quality-vs-cost study (issue #16): train a configuration on one particle of
# the built-in simulator, measure what the training cost in CPU time, and how well a classifier
# tells the teacher's and the student's showers from reference showers. Appends one JSON line
# to the results file (caloflow study-record); `caloflow study-plot` draws the figure from it.
#
#   scripts/study/run-point.sh <particle> <config> <label> [options]
#
#   particle   eplus, gamma or piplus
#   config     a run configuration, e.g. configs/study/w0.50-e20.json
#   label      the point's name in the results file (letters, digits, . _ + -), unique per particle
#
# Options (defaults in brackets):
#   --results FILE         results file [study/results.jsonl]
#   --work DIR             the point's folder: run, logs, samples, report [study/<particle>/<label>]
#   --data-dir DIR         simulated data, shared by all points [datasets/study/sim-<simulator tree>]
#   --train-events N       training showers to simulate [100000]
#   --reference-events N   reference showers, also the showers generated per flow [20000]
#   --data-seed S          seed of the training showers [1001]; the reference uses S + 1
#   --seed S               seed of train-teacher and distill [1]
#   --generate-seed S      seed of generate [2]
#   --evaluate-seed S      seed of evaluate (classifier run k uses S + k) [3]
#   --threads N            threads of every stage [2]
#   --classifier-runs N    classifier runs per variant and sample [3]
#   --classifier-epochs N  maximum classifier epochs [evaluate's default]
#   --teacher-from DIR     reuse the Flow I and teacher of another point's work folder (e.g.
#                          study/eplus/t128-e15-d8) instead of training them: its run's flow1-*
#                          and teacher-* files are copied, its CPU time for them is recorded as
#                          this point's, and distill uses this configuration's student section.
#                          The two configurations must have equal preprocessing, flowI and
#                          teacher sections and no train-teacher time limit (checked), and the
#                          point must use the same training data
#   --train-arg ARG        extra argument for train-teacher and distill (repeatable),
#                          e.g. --train-arg=--time-limit=2h where that option exists
#   --caloflow PATH        the executable [.build/release/caloflow, built when missing]
#
# Stages: simulate the training and reference data (reused when present), train Flow I, the
# teacher and the student (caloflow train-teacher --stage flow1|teacher, distill), generate
# with the teacher and with the student at the reference's incident energies, evaluate both
# against the reference in one report (--model <run>: teacher log-likelihood and student KL),
# record. Each stage's CPU time is the getrusage(RUSAGE_CHILDREN) difference around it (bash's
# `times`: user + system time of every process of the stage) and its wall time, written to
# <work>/stages.tsv; each stage's output goes to <work>/logs/<stage>.log.
#
# Resumable: a point already in the results file is skipped; a finished stage is not rerun; a
# training stage interrupted by SIGINT/SIGTERM (forwarded to caloflow, which saves its last
# checkpoint) resumes with --resume, and the CPU time of every attempt is added up. Only a
# SIGKILL loses an attempt's CPU time; the point then records cpu_time_complete = false.
# Run one point at a time on an otherwise quiet machine: the CPU hours are the figure's x axis.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "run-point: error: $*" >&2; exit "${2:-1}"; }

[ $# -ge 1 ] && { [ "$1" = -h ] || [ "$1" = --help ]; } && usage
[ $# -ge 3 ] || { echo "run-point: error: expected <particle> <config> <label> [options]" >&2; usage; }
particle=$1 config=$2 label=$3
shift 3
case "$particle" in eplus|gamma|piplus) ;; *) die "unknown particle '$particle'; use eplus, gamma or piplus" 2 ;; esac
[[ "$label" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]{0,39}$ ]] || die "'$label' is not a valid label (1-40 letters, digits or . _ + -)" 2

# Paths given on the command line are relative to the current folder; the defaults, and the
# paths recorded, are relative to the repository root where possible.
orig=$(pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
abs() { case "$1" in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$orig/$1" ;; esac; }
rel() { case "$1" in "$root"/*) printf '%s\n' "${1#"$root"/}" ;; *) printf '%s\n' "$1" ;; esac; }
config=$(rel "$(abs "$config")")
results=study/results.jsonl work="" data_dir="" train_events=100000 reference_events=20000 data_seed=1001
seed=1 generate_seed=2 evaluate_seed=3 threads=2 classifier_runs=3 classifier_epochs="" bin=.build/release/caloflow teacher_from=""
train_args=() given=()
need() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value" 2; }
while [ $# -gt 0 ]; do
    opt=$1 value=""
    if [[ "$opt" == --*=* ]]; then value=${opt#*=}; opt=${opt%%=*}; shift; else
        case "$opt" in --*) need "$opt" "${2:-}"; value=$2; shift 2 ;; *) die "unexpected argument '$opt'" 2 ;; esac
    fi
    case "$opt" in
        --results) results=$(rel "$(abs "$value")") ;;
        --work) work=$(rel "$(abs "$value")") ;;
        --data-dir) data_dir=$(rel "$(abs "$value")") ;;
        --train-events) train_events=$value ;;
        --reference-events) reference_events=$value ;;
        --data-seed) data_seed=$value ;;
        --seed) seed=$value ;;
        --generate-seed) generate_seed=$value ;;
        --evaluate-seed) evaluate_seed=$value ;;
        --threads) threads=$value ;;
        --classifier-runs) classifier_runs=$value ;;
        --classifier-epochs) classifier_epochs=$value ;;
        --train-arg) train_args+=("$value") ;;
        --caloflow) bin=$(rel "$(abs "$value")") ;;
        --teacher-from) teacher_from=$(rel "$(abs "$value")") ;;
        *) die "unknown option '$opt' (see --help)" 2 ;;
    esac
    case "$opt" in
        --results) given+=("$opt" "$results") ;; --work) given+=("$opt" "$work") ;; --data-dir) given+=("$opt" "$data_dir") ;;
        --caloflow) given+=("$opt" "$bin") ;; --teacher-from) given+=("$opt" "$teacher_from") ;; *) given+=("$opt" "$value") ;;
    esac
done
# The command that reproduces the point from the repository root (recorded with it).
invocation="scripts/study/run-point.sh$(printf ' %q' "$particle" "$config" "$label" ${given[@]+"${given[@]}"})"
for n in train_events reference_events data_seed seed generate_seed evaluate_seed threads classifier_runs; do
    [[ "${!n}" =~ ^[0-9]+$ ]] || die "--${n//_/-} must be a non-negative integer, got '${!n}'" 2
done
[ -z "$classifier_epochs" ] || [[ "$classifier_epochs" =~ ^[0-9]+$ ]] || die "--classifier-epochs must be an integer" 2

cd "$root"
[ -f "$config" ] || die "no such configuration: $config" 2

if [ ! -x "$bin" ]; then
    [ "$bin" = .build/release/caloflow ] || die "no executable at $bin" 2
    echo "run-point: building caloflow (release)" >&2
    swift build -c release >&2
fi
commit=$(git describe --always --dirty 2>/dev/null || echo unknown)
if [ -z "$data_dir" ]; then
    # the simulator's source tree hash: the same sources give the same folder on any branch
    sim=$(git rev-parse --short=10 HEAD:Sources/CaloSimulation 2>/dev/null || true)
    [ -n "$sim" ] || sim=unknown
    if [ -n "$(git status --porcelain -- Sources/CaloSimulation 2>/dev/null)" ]; then sim="$sim-dirty"; fi
    data_dir=datasets/study/sim-$sim
fi
work=${work:-study/$particle/$label}
tag="[$particle $label]"

if [ -n "$teacher_from" ]; then
    [ -f "$teacher_from/flow1.done" ] && [ -f "$teacher_from/teacher.done" ] && [ -f "$teacher_from/run/config.json" ] \
        || die "--teacher-from $teacher_from: no point there has finished training Flow I and its teacher" 2
    [ "$(rel "$(abs "$teacher_from")")" != "$work" ] || die "--teacher-from is this point's own folder" 2
fi
state=$("$bin" study-record --results "$results" --particle "$particle" --label "$label" --config "$config" --check \
        ${teacher_from:+--same-teacher-as "$teacher_from/run/config.json"})
if [ "$state" = recorded ]; then
    echo "run-point: $tag is already in $results; skipped"
    exit 0
fi

mkdir -p "$work/logs" "$data_dir" "$(dirname "$results")"
stages=$work/stages.tsv
times_file=$(mktemp -t caloflow-study-times.XXXXXX)
trap 'rm -f "$times_file"' EXIT
run=$work/run
train_data=$data_dir/$particle-train-$train_events-seed$data_seed.h5
reference=$data_dir/$particle-reference-$reference_events-seed$((data_seed + 1)).h5
common=(--seed "$seed" --threads "$threads")

now() { printf '%s\n' "${EPOCHREALTIME:-$(date +%s.%N)}"; }
# User and system CPU seconds of every child this shell has waited for (getrusage
# RUSAGE_CHILDREN through `times`, which must run in this shell, not in a subshell).
cpu_snapshot() { times > "$times_file"; }
cpu_parse() {
    awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, "m"); sub("s", "", a[2]); printf "%.3f%s", a[1] * 60 + a[2], i == 1 ? " " : "\n" } }' "$times_file"
}

current="" child=""
begin_stage() {
    current=$1
    printf 'start\t%s\t%s\n' "$current" "$(now)" >> "$stages"
    cpu_snapshot; read -r cpu_user0 cpu_sys0 <<<"$(cpu_parse)"
    wall0=$(now)
}
end_stage() {  # end_stage STATUS
    local wall1 u1 s1
    wall1=$(now)
    cpu_snapshot; read -r u1 s1 <<<"$(cpu_parse)"
    awk -v n="$current" -v st="$1" -v u0="$cpu_user0" -v s0="$cpu_sys0" -v u1="$u1" -v s1="$s1" -v w0="$wall0" -v w1="$wall1" \
        'BEGIN { printf "end\t%s\t%d\t%.3f\t%.3f\t%.3f\n", n, st, u1 - u0, s1 - s0, w1 - w0 }' >> "$stages"
    current=""
}
on_signal() {  # forward the signal to the running stage (training saves its last checkpoint), record it, stop
    local status=$(( 128 + $2 ))
    trap '' INT TERM
    if [ -n "$child" ]; then
        kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null && status=0 || status=$?
        child=""
    fi
    [ -z "$current" ] || end_stage "$status"
    echo "run-point: $tag interrupted ($1); the same command resumes the point" >&2
    exit $(( 128 + $2 ))
}
trap 'on_signal SIGINT 2' INT
trap 'on_signal SIGTERM 15' TERM

# stage NAME COMMAND...: runs the command as one timed stage, its output in logs/NAME.log.
stage() {
    local name=$1 status=0
    shift
    echo "run-point: $tag $name ($(date -u +%H:%M:%S) UTC; log $work/logs/$name.log)"
    begin_stage "$name"
    # In a session of its own: a Ctrl-C at the terminal reaches only this script, which passes
    # one SIGTERM on (a second signal would make caloflow quit without saving).
    setsid "$@" >> "$work/logs/$name.log" 2>&1 &
    child=$!
    wait "$child" || status=$?
    child=""
    end_stage "$status"
    if [ "$status" -ne 0 ]; then
        echo "run-point: $tag stage $name failed (exit $status); the end of $work/logs/$name.log:" >&2
        tail -n 15 "$work/logs/$name.log" >&2 || true
        die "$tag stopped at $name; fix the cause and rerun the same command to resume (or delete $work to start over)" "$status"
    fi
    touch "$work/$name.done"
}
done_() { [ -f "$work/$1.done" ]; }

# 1. Data (shared by all points of this simulator revision and these seeds).
if [ ! -f "$train_data" ]; then
    stage simulate_training "$bin" simulate --particle "$particle" --events "$train_events" --seed "$data_seed" \
        --threads "$threads" --output "$train_data"
fi
if [ ! -f "$reference" ]; then
    stage simulate_reference "$bin" simulate --particle "$particle" --events "$reference_events" --seed $((data_seed + 1)) \
        --threads "$threads" --output "$reference"
fi

# 2. Training: Flow I, teacher, student; an interrupted stage resumes from its last checkpoint.
# With --teacher-from, Flow I and the teacher come from the other point: the files of its run and
# the CPU and wall time its stage log gives them (the cost of this point's teacher all the same).
if [ -n "$teacher_from" ] && ! done_ teacher; then
    grep -qF "$(basename "$train_data")" "$teacher_from/run/run.json" \
        || die "--teacher-from $teacher_from: its teacher was not trained on $train_data" 2
    echo "run-point: $tag Flow I and teacher from $teacher_from"
    mkdir -p "$run"
    # (its metrics.jsonl may already hold the other point's student: distill drops those records
    # when it starts from scratch; run.json keeps the other point's invocations as history)
    for f in config.json run.json metrics.jsonl loss-flow1.svg loss-teacher.svg flow1-best.h5 flow1-last.h5 teacher-best.h5 teacher-last.h5; do
        [ ! -f "$teacher_from/run/$f" ] || cp "$teacher_from/run/$f" "$run/$f"
    done
    awk -F '\t' '$2 == "flow1" || $2 == "teacher"' "$teacher_from/stages.tsv" >> "$stages"
    touch "$work/flow1.done" "$work/teacher.done"
fi
resume_flag() { [ -f "$run/$1-last.h5" ] && echo --resume || true; }
for s in flow1 teacher; do
    done_ "$s" && continue
    r=$(resume_flag "$s")
    stage "$s" "$bin" train-teacher --stage "$s" --data "$train_data" --config "$config" --run "$run" "${common[@]}" \
        ${r:+"$r"} ${train_args[@]+"${train_args[@]}"}
done
if ! done_ student; then
    r=$(resume_flag student)
    stage student "$bin" distill --run "$run" --config "$config" "${common[@]}" ${r:+"$r"} ${train_args[@]+"${train_args[@]}"}
fi

# 3. Samples of both flows at the reference's incident energies.
for flow in teacher student; do
    done_ "generate_$flow" && continue
    stage "generate_$flow" "$bin" generate --model "$run" --flow "$flow" --events "$reference_events" --energies-from "$reference" \
        --output "$work/$flow.h5" --seed "$generate_seed" --threads "$threads" --force
done

# 4. Both against the reference in one report, with the same classifier seeds and splits.
if ! done_ evaluate; then
    stage evaluate "$bin" evaluate --reference "$reference" --generated "teacher=$work/teacher.h5" --generated "student=$work/student.h5" \
        --model "$run" --output "$work/report" --classifier-runs "$classifier_runs" ${classifier_epochs:+--epochs "$classifier_epochs"} \
        --seed "$evaluate_seed" --threads "$threads" --force
fi

# 5. One line in the results file.
"$bin" study-record --results "$results" --particle "$particle" --label "$label" --config "$config" --run "$run" \
    --report "$work/report/report.json" --stage-times "$stages" --training-data "$train_data" --commit "$commit" \
    --command "$invocation"
