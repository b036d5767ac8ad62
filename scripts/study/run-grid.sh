#!/usr/bin/env bash
# The quality-vs-cost study (issue #16) over a grid: every configuration for every particle,
# one point at a time through scripts/study/run-point.sh, then the figure and the table
# (caloflow study-plot). Points already in the results file are skipped, and an interrupted
# point resumes, so the same command continues a grid that was stopped.
#
#   scripts/study/run-grid.sh [options] [-- run-point options]
#
# Options (defaults in brackets):
#   --particles LIST   comma-separated particles [eplus,gamma,piplus]
#   --configs GLOB     the grid's configurations; each file's name without .json is its label
#                      ['configs/study/*.json']
#   --results FILE     results file [study/results.jsonl]
#   --work-root DIR    points go to DIR/<particle>/<label> [study]
#   --plot DIR         where study-plot writes auc-vs-cpu-hours.svg and table.md [<results folder>/plots]
#   --dry-run          print the points and the commands, run nothing
# Everything after `--` goes to every run-point.sh call (e.g. -- --train-events 100000
# --classifier-runs 3); see scripts/study/run-point.sh --help.
#
# The study's CPU hours are its x axis: run it on an otherwise quiet machine, and with the same
# --threads for every point.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "run-grid: error: $*" >&2; exit "${2:-1}"; }

particles=eplus,gamma,piplus configs='configs/study/*.json' results=study/results.jsonl work_root=study plot="" dry=0
need() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value" 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage ;;
        --) shift; break ;;
        --dry-run) dry=1; shift ;;
        --*=*) opt=${1%%=*} value=${1#*=}; shift; set -- "$opt" "$value" "$@" ;;
        --particles|--configs|--results|--work-root|--plot)
            need "$1" "${2:-}"
            case "$1" in
                --particles) particles=$2 ;; --configs) configs=$2 ;; --results) results=$2 ;;
                --work-root) work_root=$2 ;; --plot) plot=$2 ;;
            esac
            shift 2 ;;
        *) die "unknown option '$1' (see --help; run-point options go after --)" 2 ;;
    esac
done
point_args=("$@")
plot=${plot:-$(dirname "$results")/plots}
here=$(cd "$(dirname "$0")" && pwd)

IFS=, read -r -a particle_list <<<"$particles"
[ ${#particle_list[@]} -gt 0 ] || die "--particles is empty" 2
for p in "${particle_list[@]}"; do
    case "$p" in eplus|gamma|piplus) ;; *) die "unknown particle '$p'; use eplus, gamma or piplus" 2 ;; esac
done
# shellcheck disable=SC2206  # the glob is meant to expand here
files=($configs)
config_list=()
for f in "${files[@]}"; do [ -f "$f" ] && config_list+=("$f"); done
[ ${#config_list[@]} -gt 0 ] || die "no configuration matches '$configs'" 2
labels=()
for f in "${config_list[@]}"; do
    label=$(basename "$f" .json)
    [[ "$label" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]{0,39}$ ]] || die "$f: its name '$label' is not a valid label (1-40 letters, digits or . _ + -)" 2
    for l in ${labels[@]+"${labels[@]}"}; do [ "$l" != "$label" ] || die "two configurations are named '$label'" 2; done
    labels+=("$label")
done

total=$(( ${#particle_list[@]} * ${#config_list[@]} ))
echo "run-grid: $total points (${#particle_list[@]} particles x ${#config_list[@]} configurations) into $results"
k=0
for p in "${particle_list[@]}"; do
    for i in "${!config_list[@]}"; do
        k=$((k + 1))
        cmd=("$here/run-point.sh" "$p" "${config_list[$i]}" "${labels[$i]}" --results "$results"
             --work "$work_root/$p/${labels[$i]}" ${point_args[@]+"${point_args[@]}"})
        echo "run-grid: point $k/$total: $p ${labels[$i]}"
        if [ "$dry" = 1 ]; then printf '  %q' "${cmd[@]}"; echo; continue; fi
        "${cmd[@]}"
    done
done
[ "$dry" = 1 ] && exit 0

root=$(cd "$here/../.." && pwd)
bin=$root/.build/release/caloflow
for ((j = 0; j < ${#point_args[@]}; j++)); do
    case "${point_args[$j]}" in
        --caloflow) bin=${point_args[$((j + 1))]} ;;
        --caloflow=*) bin=${point_args[$j]#--caloflow=} ;;
    esac
done
"$bin" study-plot "$results" --output "$plot"
