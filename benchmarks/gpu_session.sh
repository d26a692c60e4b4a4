#!/usr/bin/env bash
# Runbook for a session that has a lent GPU (the device machine sets $OUT): the kernel tests on CUDA, then every
# kernel benchmark (benchmarks/bench_*.py). Nothing here is needed, or run, on CPU-only CI.
#
#   bash benchmarks/gpu_session.sh            # tests, then benchmarks
#   bash benchmarks/gpu_session.sh tests      # only the kernel tests (fp32/fp16/bf16 and the gpu-marked cases)
#   bash benchmarks/gpu_session.sh bench      # only the benchmarks
#   BENCHES="rms_norm swiglu" bash benchmarks/gpu_session.sh bench   # a subset
#
# Writes under $OUT (default ./out/gpu_session): session.log (everything printed), results/<op>.csv (one per
# benchmark, fresh rows only: copy them into benchmarks/results/ and the tables into RESULTS.md), and
# extras.tar.gz (the plots and the pytest JUnit XML). That is few enough files for the device tool, which returns
# at most 8 files from $OUT. One device command may run 10 minutes: BENCH_TIMEOUT (seconds, default 240) caps each
# benchmark so a hung compile cannot eat the call; split tests and bench over two calls if both do not fit.
set -uo pipefail

what=${1:-all}
OUT=${OUT:-$PWD/out/gpu_session}
PY=${PYTHON:-python3}  # on the device machine the plain python3 holds the CUDA build of torch
RES="$OUT/results"
STAGE=$(mktemp -d)
mkdir -p "$OUT" "$RES"
exec > >(tee -a "$OUT/session.log") 2>&1
tee_pid=$!

export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
unset TRITON_INTERPRET  # compiled kernels, not the interpreter

echo "== $(date -u +%Y-%m-%dT%H:%M:%SZ)  commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm,clocks.max.mem --format=csv || true
# DRY_RUN_ON_CPU=1 walks the script on a machine without a GPU (interpreter tests, CPU timings, nothing to keep).
"$PY" - <<'PY' || { echo "no usable CUDA torch in $PY; set PYTHON=..."; [[ ${DRY_RUN_ON_CPU:-0} == 1 ]] || exit 1; }
import torch, triton
print(f"python torch {torch.__version__} triton {triton.__version__} cuda {torch.version.cuda}")
assert torch.cuda.is_available(), "torch sees no GPU"
p = torch.cuda.get_device_properties(0)
print(f"{p.name}, {p.multi_processor_count} SMs, {p.total_memory / 2**30:.0f} GiB")
PY

status=0
if [[ $what == all || $what == tests ]]; then
    echo "== kernel tests on CUDA (every dtype, gpu-marked cases included)"
    "$PY" -m pytest tests/kernels -q -rs -p no:cacheprovider --junitxml="$STAGE/pytest_kernels.xml" || status=1
fi

if [[ $what == all || $what == bench ]]; then
    benches=${BENCHES:-$(ls benchmarks/bench_*.py | sed 's|benchmarks/bench_||; s|\.py$||')}
    for name in $benches; do
        echo "== benchmark $name"
        timeout "${BENCH_TIMEOUT:-240}" "$PY" "benchmarks/bench_$name.py" --save --results-dir "$RES" || {
            echo "!! bench_$name failed or timed out (rc $?)"; status=1; }
    done
    mv "$RES"/*.png "$STAGE"/ 2>/dev/null || true
fi

tar -czf "$OUT/extras.tar.gz" -C "$STAGE" . && rm -rf "$STAGE"
echo "== done (status $status); files under $OUT:"
find "$OUT" -type f | sort
exec >&- 2>&-
wait "$tee_pid"  # let tee finish writing session.log before the device tool collects $OUT
exit $status
