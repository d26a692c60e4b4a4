#!/usr/bin/env bash
# Runbook for a session that has a lent GPU: ONE device call, about 9 minutes, no arguments needed.
#
#   bash benchmarks/gpu_session.sh          # on the device machine (it sets $OUT); carry .whl (see below)
#   bash benchmarks/gpu_session.sh train    # only the steps named (tests bench train_bench train), same deadline
#
# Steps, in this order, each under its own cap and all under DEADLINE (530 s of wall time from the script's start;
# the device call's own start-up is outside it). A step gets at most what is left before the deadline, less the
# time kept for packing $OUT; a step cut short says so in session.log ("!! ... cut short") and the script goes
# on and still packs $OUT.
#
#   tests        (TESTS_CAP 90 s) kernel tests on CUDA, a focused subset (TESTS_K, below): RMSNorm and SwiGLU
#                in every dtype, flash attention at head dim 64 (every preset's), causal, fp16 and bf16, dense
#                and packed segments, training-sized T = 1000 and a ragged T = 77; each compares the output and
#                every gradient with a float64 reference. Left out on the GPU (each autotuned flash
#                specialisation compiles 24 kernels): fp32 and head dims 32/128 (the interpreter covers them on
#                CPU), non-causal attention (the model is causal), the kernels-on/off convergence test. With
#                pytest-xdist importable the tests run in TESTS_WORKERS (8) processes, which compile in parallel.
#   bench        (BENCH_CAP 90 s in all) --quick kernel benchmarks, bf16: rms_norm and swiglu (RMS_CAP, SWIGLU_CAP
#                25 s each; presets 10m and 100m, forward and backward, vs eager, torch.compile and the measured
#                copy bandwidth), then flash attention (what is left; forward+backward at T 512-2048, 100m's 12
#                heads, vs SDPA restricted to FlashAttention-2 and torch.compile).
#   train_bench  (TRAIN_BENCH_CAP 60 s) bench_training.py, 10m and 100m: first providers triton and reference,
#                then compile with what is left (2 warm-up + 5 timed steps each); tokens/s and MFU.
#   train        (what is left, at most TRAIN_SECONDS=300 s of steps) the 10m preset through
#                configs/gpu_10m_5min.yaml, then mathglm.export to a bf16 bundle (returned in parts) and
#                `mathglm.eval --suite arithmetic --n EVAL_N` (200) on it. The run's data_wait.json (share of step
#                time spent waiting for the DataLoader) is printed.
#
# While the tests run, a background warm-up (WARMUP=1; its log is warmup.log in results.tar.gz) runs the
# benchmarks once without saving, so Triton's and Inductor's on-disk caches hold their compiled kernels before the
# timed steps start: compile time then leaves the 90 s and 60 s caps to the measurements. It is stopped, if still
# running, before the benchmarks start (it would share the GPU with them).
#
# Writes under $OUT (default ./out/gpu_session), at most 8 files of < 16 MiB, as the device tool returns:
#   session.log                 everything printed, with each step's "== <step> done at N s" line
#   results.tar.gz              results/<op>.csv (fresh rows: append them to benchmarks/results/) and the plots,
#                               the pytest JUnit XML, warmup.log, and from the run: data_wait.json, config.yaml,
#                               the TensorBoard events, the eval report (report.md/json, heatmaps)
#   bundle_10m.tar.part-aa, -ab the exported bf16 bundle (~20 MB) split in 15 MiB parts:
#                               `cat bundle_10m.tar.part-* | tar -x` rebuilds bundle_10m/
#
# The device image lacks jsonargparse (LightningCLI, so `train` needs it) and pytest-xdist: carry their wheels in
# .whl/ (see benchmarks/README.md); this script installs whatever .whl/ holds into /tmp/site, on PYTHONPATH.
#
# DRY_RUN_ON_CPU=1 walks every step on a machine without a GPU, with the same packing (tests/kernels/
# test_gpu_session_dry_run.py runs it): the Triton interpreter on a handful of kernel tests, each benchmark on a
# tiny CPU shape, bench_training on tiny, the default tiny CPU config for a few steps instead of 10m, export, and
# eval with n = 2. Its numbers mean nothing; it checks that the script does not rot between GPU sessions.
set -uo pipefail

steps=("$@")
[[ ${#steps[@]} == 0 ]] && steps=(tests bench train_bench train)
OUT=${OUT:-$PWD/out/gpu_session}
PY=${PYTHON:-python3}  # on the device machine the plain python3 holds the CUDA build of torch
dry=${DRY_RUN_ON_CPU:-0}
STAGE=$(mktemp -d)  # everything that goes into results.tar.gz
RES="$STAGE/results"
START=$SECONDS
DEADLINE=${DEADLINE:-530}
PACK_RESERVE=${PACK_RESERVE:-15}  # seconds kept at the end to pack $OUT
mkdir -p "$OUT" "$RES"
exec > >(tee -a "$OUT/session.log") 2>&1
tee_pid=$!

export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
if [[ $dry == 1 ]]; then
    export TRITON_INTERPRET=1  # no GPU: the kernels run in the interpreter (tests/conftest.py does the same)
    export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}  # tiny shapes: more threads only contend (CI boxes are shared)
else
    unset TRITON_INTERPRET  # compiled kernels, not the interpreter
fi

echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    " steps: ${steps[*]}  deadline ${DEADLINE} s  dry run: $dry"
if compgen -G ".whl/*.whl" >/dev/null; then
    echo "== installing carried wheels: $(ls .whl | tr '\n' ' ')"
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        && export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv 2>/dev/null \
    || echo "(no nvidia-smi)"
DRY=$dry "$PY" - <<'PY' || { echo "!! no usable CUDA torch in $PY; set PYTHON=..."; exit 1; }
import os, torch, triton
print(f"python torch {torch.__version__} triton {triton.__version__} cuda {torch.version.cuda} "
      f"cpus {os.cpu_count()}")
if os.environ["DRY"] == "1":
    print("dry run on CPU: no GPU needed")
    raise SystemExit(0)
assert torch.cuda.is_available(), "torch sees no GPU"
p = torch.cuda.get_device_properties(0)
print(f"{p.name}, {p.multi_processor_count} SMs, {p.total_memory / 2**30:.0f} GiB")
PY

# Seconds a command may take: `cap`, or what is left before the deadline less PACK_RESERVE, if smaller (>= 1).
budget() {
    local left=$((DEADLINE - (SECONDS - START) - PACK_RESERVE))
    ((left < 1)) && left=1
    echo $(($1 < left ? $1 : left))
}

status=0

# run LABEL CAP COMMAND...: COMMAND under `timeout budget(CAP)`; says in the log when it was cut short or failed.
run() {
    local label=$1 cap secs rc
    cap=$2
    shift 2
    secs=$(budget "$cap")
    timeout --kill-after=5 "$secs" "$@"
    rc=$?
    if ((rc == 124 || rc == 137)); then
        echo "!! $label cut short after ${secs} s (its cap: $cap s; deadline $DEADLINE s)"
        status=1
    elif ((rc != 0)); then
        echo "!! $label failed (rc $rc)"
        status=1
    fi
    return $rc
}

# ---------------------------------------------------------------------------------------------------- warm-up

warmup_pid=""
start_warmup() {
    [[ ${WARMUP:-1} == 1 && $dry != 1 ]] || return 0
    echo "== background warm-up of the benchmarks' compiled kernels (warmup.log)"
    # A session of its own (setsid), so stop_warmup can end the whole group, Inductor's compile workers included.
    # The slowest compiles first: torch.compile of whole models, the flash kernels' autotuning at the training
    # shapes (which the `train` step reuses), then the kernel benchmarks.
    PY=$PY setsid bash -c '
        "$PY" benchmarks/bench_training.py --presets 10m 100m --providers compile triton --warmup 1 --steps 1 --no-save
        for name in flash_attention rms_norm swiglu; do "$PY" "benchmarks/bench_$name.py" --quick --no-save; done
    ' >"$STAGE/warmup.log" 2>&1 &
    warmup_pid=$!
}

stop_warmup() {
    [[ -n $warmup_pid ]] || return 0
    if kill -0 "$warmup_pid" 2>/dev/null; then
        echo "== warm-up still running at $((SECONDS - START)) s: stopped (the benchmarks compile what it missed)"
        kill -- "-$warmup_pid" 2>/dev/null
    fi
    wait "$warmup_pid" 2>/dev/null
    warmup_pid=""
}

# ------------------------------------------------------------------------------------------------------ steps

# The GPU subset (see the header): RMSNorm and SwiGLU whole, flash attention's reference comparisons at D = 64,
# causal, half precision.
GPU_TESTS_K='not test_flash_attention or ((test_matches_float64_reference or test_model_sized_on_gpu)'
GPU_TESTS_K+=' and not fp32 and not 128 and not x32- and not -full-)'
# On CPU (the interpreter): one shape per kernel, the dtypes the interpreter runs, every gradient.
DRY_TESTS_K='test_matches_float64_reference and (7x96 or 1x3x17x32-causal-seg-fp16) and not 1e-05'

run_tests() {
    local k workers=()
    if [[ $dry == 1 ]]; then
        k=${TESTS_K:-$DRY_TESTS_K}
        workers=(-p no:xdist)
    else
        k=${TESTS_K:-$GPU_TESTS_K}
        if "$PY" -c "import xdist" 2>/dev/null; then
            workers=(-n "${TESTS_WORKERS:-8}")
        else
            echo "(pytest-xdist not importable: the tests run in one process and may not all fit in the cap)"
        fi
    fi
    echo "== kernel tests: -k \"$k\""
    run "kernel tests" "${TESTS_CAP:-90}" "$PY" -m pytest tests/kernels/test_rms_norm.py tests/kernels/test_swiglu.py \
        tests/kernels/test_flash_attention.py -m "not slow" -k "$k" -q -rfEs -p no:cacheprovider "${workers[@]}" \
        --junitxml="$STAGE/pytest_kernels.xml"
}

run_bench() {
    local step_end=$((SECONDS + $(budget "${BENCH_CAP:-90}"))) name cap extra=()
    [[ $dry == 1 ]] && extra=(--device cpu --tokens 64)
    for name in rms_norm swiglu flash_attention; do
        case $name in
            rms_norm) cap=${RMS_CAP:-25} ;;
            swiglu) cap=${SWIGLU_CAP:-25} ;;
            *) cap=$((step_end - SECONDS)) ;;  # what the step has left
        esac
        ((cap > step_end - SECONDS)) && cap=$((step_end - SECONDS))
        if ((cap < 1)); then
            echo "!! bench_$name cut short: no time left in the bench step"
            status=1
            continue
        fi
        local args=("${extra[@]}")
        [[ $dry == 1 && $name == flash_attention ]] && args=(--device cpu --seq-lens 64 --tokens 128)
        echo "== benchmark $name --quick (at most $cap s)"
        run "bench_$name" "$cap" "$PY" "benchmarks/bench_$name.py" --quick --save --results-dir "$RES" "${args[@]}"
    done
}

run_train_bench() {
    local step_end=$((SECONDS + $(budget "${TRAIN_BENCH_CAP:-60}")))
    local common=(--save --results-dir "$RES" --presets 10m 100m --warmup 2 --steps 5)
    [[ $dry == 1 ]] && common=(--save --results-dir "$RES" --device cpu --presets tiny --batch-size 2 --window 64
                               --warmup 1 --steps 2)
    # Triton and eager first (issue 5's comparison); torch.compile, the slowest to start, with what is left.
    local providers groups=("triton reference" "compile")
    [[ $dry == 1 ]] && groups=(reference)  # the CPU smoke run: eager only
    for providers in "${groups[@]}"; do
        local left=$((step_end - SECONDS))
        if ((left < 5)); then
            echo "!! bench_training --providers $providers cut short: no time left in the train_bench step"
            status=1
            continue
        fi
        echo "== training throughput: bench_training.py --providers $providers (at most $left s)"
        # shellcheck disable=SC2086  # providers is a word list
        run "bench_training ($providers)" "$left" "$PY" benchmarks/bench_training.py "${common[@]}" \
            --providers $providers
    done
}

run_train() {
    # The run directory is staged, not under $OUT: a Lightning run writes more files than the tool returns.
    local run_dir="$STAGE/run_10m" bundle="$STAGE/bundle_10m" eval_n=${EVAL_N:-200}
    # Kept for what follows the steps: start-up (imports, workers), the stop's validation and checkpoint, export,
    # eval. TRAIN_SECONDS of steps at most, fewer if the deadline leaves less.
    local reserve=${TRAIN_RESERVE:-90}
    [[ $dry == 1 ]] && reserve=${TRAIN_RESERVE:-60}
    local left=$(($(budget 100000) - reserve))
    local seconds=${TRAIN_SECONDS:-300}
    [[ $dry == 1 ]] && seconds=${TRAIN_SECONDS:-60}
    ((left < seconds)) && seconds=$left
    local config=(--config configs/gpu_10m_5min.yaml --final_eval_problems 0)
    local part_size=15M eval_device=()
    if [[ $dry == 1 ]]; then  # the CPU default config (tiny), a handful of steps: checks the plumbing only
        config=(--trainer.max_steps 4 --trainer.limit_train_batches 2 --data.batch_size 4 --data.window 64
                --data.val_problems 4 --data.num_workers 0 --final_eval_problems 0 --checkpoint_every_n_steps 2
                --trainer.enable_progress_bar false --trainer.enable_model_summary false)
        eval_n=${EVAL_N:-2}
        part_size=1M  # the tiny bundle is ~2 MB: several parts, so reassembly is exercised
        eval_device=(--device cpu)
    fi
    if ((seconds < ${TRAIN_MIN_SECONDS:-30})); then
        echo "!! train cut short: only $left s left for steps (deadline $DEADLINE s); nothing trained"
        status=1
        return
    fi
    echo "== training run: mathglm.train ${config[*]} (max_time $seconds s)"
    local started=$SECONDS
    run "training" $((seconds + reserve - 30)) "$PY" -m mathglm.train "${config[@]}" --run_dir "$run_dir" \
        --trainer.max_time "$(printf '00:00:%02d:%02d' $((seconds / 60)) $((seconds % 60)))"
    echo "== training process wall time: $((SECONDS - started)) s (imports, workers and the final validation included)"
    if [[ -f $run_dir/data_wait.json ]]; then
        echo "== data wait (share of step time spent waiting for the DataLoader; data_wait.json):"
        "$PY" - "$run_dir/data_wait.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
print(f"   whole run: {s['data_wait_share']:.1%} of {s['wait_s'] + s['step_s']:.1f} s over {s['steps']} steps")
for name, t in s["by_stage"].items():
    rate = t["steps"] / max(1e-9, t["wait_s"] + t["step_s"])
    print(f"   {name}: {t['data_wait_share']:.1%} over {t['steps']} steps ({rate:.1f} steps/s)")
PY
    fi
    local ckpt="$run_dir/checkpoints/last.ckpt"
    if [[ ! -f $ckpt ]]; then
        echo "!! no $ckpt: nothing to export"
        status=1
        return
    fi
    mv "$ckpt" "$STAGE/last.ckpt"  # not in results.tar.gz (optimizer state: ~3x the bundle)
    echo "== export (bf16)"
    run "export" 60 "$PY" -m mathglm.export "$STAGE/last.ckpt" "$bundle" --dtype bfloat16 || return
    tar -cf - -C "$STAGE" bundle_10m | split -b "$part_size" - "$OUT/bundle_10m.tar.part-"
    echo "== bundle: $(du -sh "$bundle" | cut -f1) in $(ls "$OUT"/bundle_10m.tar.part-* | wc -l) part(s)"
    echo "== eval --suite arithmetic --n $eval_n"
    run "eval" 150 "$PY" -m mathglm.eval --checkpoint "$bundle" --suite arithmetic --n "$eval_n" \
        --batch-size "$eval_n" --out "$STAGE/eval_10m" --no-progress "${eval_device[@]}"
    rm -rf "$bundle" "$STAGE/last.ckpt" "$run_dir/checkpoints"
}

# ------------------------------------------------------------------------------------------------------- main

for step in "${steps[@]}"; do
    case $step in
        tests) start_warmup; run_tests; stop_warmup ;;
        bench) run_bench ;;
        train_bench) run_train_bench ;;
        train) run_train ;;
        *) echo "!! unknown step $step (tests, bench, train_bench, train)"; status=1 ;;
    esac
    echo "== $step done at $((SECONDS - START)) s"
done

# Pack: the staged files in one tarball; anything over 15 MiB is split so each returned file stays < 16 MiB.
# Checkpoints (weights + optimizer state, ~120 MB at 10m) and the unpacked bundle never go in, whichever way the
# train step ended.
rm -rf "$STAGE/last.ckpt" "$STAGE/bundle_10m" "$STAGE/run_10m/checkpoints"
tar -czf "$OUT/results.tar.gz" -C "$STAGE" . && rm -rf "$STAGE"
for f in "$OUT"/*; do
    [[ -f $f && $f != "$OUT/session.log" && $(stat -c %s "$f") -gt $((15 * 1024 * 1024)) ]] || continue
    split -b 15M "$f" "$f.part-" && rm "$f"
done
n_files=$(find "$OUT" -type f | wc -l)
((n_files > 8)) && { echo "!! $n_files files under $OUT: the device tool returns 8"; status=1; }
echo "== done (status $status) in $((SECONDS - START)) s; files under $OUT:"
find "$OUT" -type f -printf '%s\t%p\n' | sort -k2
exec >&- 2>&-
wait "$tee_pid"  # let tee finish writing session.log before the device tool collects $OUT
exit $status
