#!/usr/bin/env bash
# Runbook for a session that has a lent GPU (the device machine sets $OUT). Steps, run in the order given:
#
#   tests        the kernel tests on CUDA (every dtype, gpu-marked cases, the kernels-on/off convergence test)
#   bench        every kernel benchmark (benchmarks/bench_*.py except bench_training.py)
#   train_bench  bench_training.py: tokens/s and MFU per preset, providers triton / reference / compile
#   train        a short real training run of the 10m preset (configs/gpu_10m.yaml), then mathglm.export and
#                mathglm.eval on its checkpoint
#   all          = tests bench train_bench train (more than one 10-minute device call holds: split it)
#
#   bash benchmarks/gpu_session.sh                      # device call 1: tests bench train_bench (the default)
#   bash benchmarks/gpu_session.sh train                # device call 2 (carry the jsonargparse wheels, below)
#   BENCHES="rms_norm swiglu" bash benchmarks/gpu_session.sh bench   # a subset of the kernel benchmarks
#
# One device command may run 10 minutes, so each step runs under `timeout`, and all of them together under
# DEADLINE seconds from the start (default 560): a step gets at most what is left, and the script still packs
# $OUT before the device tool's limit; a step cut short says so in session.log (run it again in another call).
# Per-step caps: TESTS_TIMEOUT (300), BENCH_TIMEOUT (240 per script), TRAIN_BENCH_TIMEOUT (300), and for `train`
# TRAIN_MINUTES of optimizer steps (default 5, as Lightning's max_time, fewer if less time is left; TRAIN_STEPS,
# default 8000, is the LR schedule's length and a second cap) plus ~3 min kept for start-up, the run's final
# evaluation, export and eval.
#
# Writes under $OUT (default ./out/gpu_session): session.log (everything printed), results/<op>.csv (fresh rows
# only: copy them into benchmarks/results/ and the tables into RESULTS.md), extras.tar.gz (plots, pytest JUnit XML,
# the training run's TensorBoard events, resolved config, final_eval.md/json, the eval report) and
# bundle_10m.tar.part-aa, -ab (the exported bf16 inference bundle, ~20 MB, split because the device tool returns
# files of at most 16 MiB; `cat bundle_10m.tar.part-* | tar -x` rebuilds it). At most 8 files, as the tool allows.
#
# The device image lacks jsonargparse (LightningCLI, so `train` needs it): carry its wheels in .whl/ (see
# benchmarks/README.md); this script installs whatever .whl/ holds into /tmp/site and puts it on PYTHONPATH.
set -uo pipefail

steps=("$@")
[[ ${#steps[@]} == 0 ]] && steps=(tests bench train_bench)
[[ " ${steps[*]} " == *" all "* ]] && steps=(tests bench train_bench train)
OUT=${OUT:-$PWD/out/gpu_session}
PY=${PYTHON:-python3}  # on the device machine the plain python3 holds the CUDA build of torch
RES="$OUT/results"
STAGE=$(mktemp -d)
START=$SECONDS
DEADLINE=${DEADLINE:-560}
mkdir -p "$OUT" "$RES"
exec > >(tee -a "$OUT/session.log") 2>&1
tee_pid=$!

export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
unset TRITON_INTERPRET  # compiled kernels, not the interpreter
dry=${DRY_RUN_ON_CPU:-0}  # 1: walk the script on a machine without a GPU (interpreter tests, CPU timings)

echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    " steps: ${steps[*]}"
if compgen -G ".whl/*.whl" >/dev/null; then
    echo "== installing carried wheels: $(ls .whl | tr '\n' ' ')"
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        && export PYTHONPATH="$PYTHONPATH:/tmp/site"
fi
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv || true
"$PY" - <<'PY' || { echo "no usable CUDA torch in $PY; set PYTHON=..."; [[ $dry == 1 ]] || exit 1; }
import torch, triton
print(f"python torch {torch.__version__} triton {triton.__version__} cuda {torch.version.cuda}")
assert torch.cuda.is_available(), "torch sees no GPU"
p = torch.cuda.get_device_properties(0)
print(f"{p.name}, {p.multi_processor_count} SMs, {p.total_memory / 2**30:.0f} GiB")
PY

# Seconds a step may take: its own cap, or what is left before DEADLINE (less 20 s to pack $OUT), if smaller.
budget() {
    local left=$((DEADLINE - (SECONDS - START) - 20))
    ((left < 1)) && left=1
    echo $(($1 < left ? $1 : left))
}

status=0

run_tests() {
    echo "== kernel tests on CUDA (every dtype, gpu-marked cases included)"
    timeout "$(budget "${TESTS_TIMEOUT:-300}")" "$PY" -m pytest tests/kernels -q -rs -p no:cacheprovider \
        --junitxml="$STAGE/pytest_kernels.xml" || { echo "!! kernel tests failed or timed out (rc $?)"; status=1; }
}

run_bench() {
    local benches name
    benches=${BENCHES:-$(ls benchmarks/bench_*.py | sed 's|benchmarks/bench_||; s|\.py$||' | grep -vx training)}
    for name in $benches; do
        echo "== benchmark $name"
        timeout "$(budget "${BENCH_TIMEOUT:-240}")" "$PY" "benchmarks/bench_$name.py" --save --results-dir "$RES" \
            || { echo "!! bench_$name failed or timed out (rc $?)"; status=1; }
    done
    mv "$RES"/*.png "$STAGE"/ 2>/dev/null || true
}

run_train_bench() {
    echo "== training throughput (bench_training.py)"
    local extra=()
    [[ $dry == 1 ]] && extra=(--device cpu --steps 2)
    timeout "$(budget "${TRAIN_BENCH_TIMEOUT:-300}")" "$PY" benchmarks/bench_training.py --save --results-dir "$RES" \
        "${extra[@]}" || { echo "!! bench_training failed or timed out (rc $?)"; status=1; }
}

run_train() {
    # The run directory is staged, not under $OUT: a Lightning run writes more files than the tool returns.
    local run="$STAGE/run_10m" bundle="$STAGE/bundle_10m" minutes=${TRAIN_MINUTES:-5}
    local fit=$((($(budget 100000) - 180) / 60))  # whole minutes left after ~3 min for start-up, eval, export
    ((fit < minutes)) && minutes=$fit
    if ((minutes < 1)); then
        echo "!! train: too little time left in this call (DEADLINE $DEADLINE s); run it in a call of its own"
        status=1; return
    fi
    local config=(--config configs/gpu_10m.yaml --trainer.max_steps "${TRAIN_STEPS:-8000}"
                  --final_eval_problems "${FINAL_EVAL_PROBLEMS:-200}" --checkpoint_every_n_steps 250)
    local eval_n=${EVAL_N:-200}
    if [[ $dry == 1 ]]; then  # the CPU default config, a handful of steps: checks the plumbing only
        config=(--trainer.max_steps 6 --trainer.limit_train_batches 3 --data.val_problems 8 --final_eval_problems 4
                --checkpoint_every_n_steps 3)
        eval_n=4
    fi
    echo "== training run: mathglm.train ${config[*]} (at most $minutes min of steps)"
    timeout "$(budget $((minutes * 60 + 150)))" "$PY" -m mathglm.train "${config[@]}" --run_dir "$run" \
        --trainer.max_time "$(printf '00:00:%02d:00' "$minutes")" \
        || { echo "!! training failed or timed out (rc $?)"; status=1; }
    local ckpt="$run/checkpoints/last.ckpt"
    if [[ ! -f $ckpt ]]; then
        echo "!! no $ckpt: nothing to export"; status=1; return
    fi
    mv "$ckpt" "$STAGE/last.ckpt"  # not in extras.tar.gz (optimizer state: ~3x the bundle)
    echo "== export"
    timeout "$(budget 120)" "$PY" -m mathglm.export "$STAGE/last.ckpt" "$bundle" --dtype bfloat16 \
        || { echo "!! export failed (rc $?)"; status=1; return; }
    tar -cf - -C "$STAGE" bundle_10m | split -b 15M - "$OUT/bundle_10m.tar.part-"
    echo "== eval of the bundle on every curriculum stage ($eval_n problems each)"
    timeout "$(budget 180)" "$PY" -m mathglm.eval --checkpoint "$bundle" --suite curriculum --n "$eval_n" \
        --out "$STAGE/eval_10m" --no-progress || { echo "!! eval failed or timed out (rc $?)"; status=1; }
    rm -rf "$bundle" "$STAGE/last.ckpt"
}

for step in "${steps[@]}"; do
    case $step in
        tests) run_tests ;;
        bench) run_bench ;;
        train_bench) run_train_bench ;;
        train) run_train ;;
        *) echo "!! unknown step $step (tests, bench, train_bench, train, all)"; status=1 ;;
    esac
    echo "== $step done at $((SECONDS - START)) s"
done

tar -czf "$OUT/extras.tar.gz" -C "$STAGE" . && rm -rf "$STAGE"
echo "== done (status $status) in $((SECONDS - START)) s; files under $OUT:"
find "$OUT" -type f | sort
exec >&- 2>&-
wait "$tee_pid"  # let tee finish writing session.log before the device tool collects $OUT
exit $status
