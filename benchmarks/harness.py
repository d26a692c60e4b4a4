"""Shared benchmark harness: providers x modes x shapes -> timings, throughput, memory -> CSV rows and a plot.

Pattern after Liger-Kernel `benchmark/scripts/utils.py`. On CUDA, timings are `triton.testing.do_bench` medians
with 20/80 quantiles (it flushes L2 between calls and repeats for `rep` ms); peak memory is
`torch.cuda.max_memory_allocated` above what the inputs already hold. On CPU a plain `perf_counter` timer stands
in, so the scripts stay runnable without a GPU; those numbers say nothing about GPU performance.

Every row appended to `benchmarks/results/<op>.csv` carries the device name, torch and triton versions, the UTC
date and the exact command, so tables in RESULTS.md can be traced back.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import shlex
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
import triton

RESULTS_DIR = Path(__file__).resolve().parent / "results"
MODES = ("forward", "backward", "full")


@dataclass
class Measurement:
    """One CSV row: a provider timed in one mode on one shape."""

    op: str
    provider: str
    mode: str
    shape: str  # e.g. "16384x768"
    x_value: int  # the swept quantity plotted on the x axis (a width, a sequence length)
    dtype: str
    ms: float  # median
    ms_p20: float
    ms_p80: float
    gbps: float | None  # bytes the op must move at least / median time
    tflops: float | None
    peak_mem_mb: float | None  # CUDA only: peak allocated above the inputs
    pct_of_copy_bw: float | None  # gbps / measured device-to-device copy bandwidth
    device: str
    torch_version: str
    triton_version: str
    date: str
    command: str
    note: str = ""  # e.g. which SDPA backend ran


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu {cpu_model()} ({os.cpu_count()} cores)"


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo ("AMD EPYC ...", "Intel(R) Xeon(R) ..."); "unknown" elsewhere."""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    except OSError:
        pass
    return "unknown"


def time_fn(
    fn: Callable[[], object], device: torch.device, grad_to_none: Sequence[torch.Tensor] | None = None,
    warmup_ms: int = 25, rep_ms: int = 100,
) -> tuple[float, float, float]:
    """(median, p20, p80) milliseconds per call of `fn`."""
    if device.type == "cuda":
        med, p20, p80 = triton.testing.do_bench(
            fn, warmup=warmup_ms, rep=rep_ms, grad_to_none=grad_to_none, quantiles=[0.5, 0.2, 0.8]
        )
        return med, p20, p80
    # CPU fallback: a few warm-up calls, then repeat until rep_ms has passed (at least 5 calls).
    for _ in range(2):
        fn()
    samples: list[float] = []
    deadline = time.perf_counter() + rep_ms / 1000
    while len(samples) < 5 or time.perf_counter() < deadline:
        for t in grad_to_none or ():
            t.grad = None
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    q = statistics.quantiles(samples, n=10, method="inclusive")  # deciles: q[1] = p20, q[7] = p80
    return statistics.median(samples), q[1], q[7]


def peak_memory_mb(fn: Callable[[], object], device: torch.device) -> float | None:
    """Peak CUDA memory allocated while `fn` runs, above what was allocated before it (None on CPU)."""
    if device.type != "cuda":
        return None
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    base = torch.cuda.memory_allocated(device)
    fn()
    torch.cuda.synchronize(device)
    return (torch.cuda.max_memory_allocated(device) - base) / 2**20


def mode_fn(
    forward: Callable[[], torch.Tensor], mode: str, inputs: Sequence[torch.Tensor]
) -> Callable[[], object]:
    """The callable to time for `mode`: the forward alone, the backward alone (graph built once, kept with
    retain_graph), or both. `inputs` are the leaves that need gradients."""
    if mode == "forward":
        return forward
    out = forward()
    dy = torch.randn_like(out)
    if mode == "backward":
        return lambda: out.backward(dy, retain_graph=True)
    if mode == "full":
        return lambda: forward().backward(dy)
    raise ValueError(f"unknown mode {mode!r}; choose from {MODES}")


_COPY_BW_CACHE: dict[str, float] = {}


def copy_bandwidth_gbps(device: torch.device, nbytes: int = 1 << 30) -> float | None:
    """Measured device-memory bandwidth: bytes read + written by a large `copy_`, per second (CUDA only).

    The yardstick for "percent of HBM bandwidth": what this GPU actually sustains, not the datasheet figure.
    """
    if device.type != "cuda":
        return None
    key = str(device)
    if key not in _COPY_BW_CACHE:
        src = torch.empty(nbytes // 4, dtype=torch.float32, device=device)
        dst = torch.empty_like(src)
        ms, _, _ = time_fn(lambda: dst.copy_(src), device)
        _COPY_BW_CACHE[key] = 2 * nbytes / (ms * 1e-3) / 1e9
        del src, dst
    return _COPY_BW_CACHE[key]


def measure(
    op: str, provider: str, mode: str, forward: Callable[[], torch.Tensor], inputs: Sequence[torch.Tensor], *,
    shape: str, x_value: int, dtype: torch.dtype, device: torch.device, bytes_moved: float | None = None,
    flops: float | None = None, note: str = "",
) -> Measurement:
    """Time one provider in one mode and fill a Measurement (throughputs from the median)."""
    fn = mode_fn(forward, mode, inputs)
    leaves = [t for t in inputs if t.requires_grad]
    ms, p20, p80 = time_fn(fn, device, grad_to_none=leaves)
    mem = peak_memory_mb(fn, device)
    gbps = bytes_moved / (ms * 1e-3) / 1e9 if bytes_moved else None
    copy_bw = copy_bandwidth_gbps(device)
    return Measurement(
        op=op, provider=provider, mode=mode, shape=shape, x_value=x_value,
        dtype=str(dtype).removeprefix("torch."), ms=ms, ms_p20=p20, ms_p80=p80, gbps=gbps,
        tflops=flops / (ms * 1e-3) / 1e12 if flops else None, peak_mem_mb=mem,
        pct_of_copy_bw=100 * gbps / copy_bw if gbps and copy_bw else None,
        device=device_name(device), torch_version=torch.__version__, triton_version=triton.__version__,
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        command=" ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv]), note=note,
    )


def compiled(fn: Callable) -> Callable:
    """torch.compile'd `fn` (dynamic=False: one graph per benchmarked shape, as in training)."""
    return torch.compile(fn, dynamic=False)


def append_csv(rows: Sequence, op: str, results_dir: Path = RESULTS_DIR) -> Path:
    """Append rows (dataclasses of one type, `Measurement` or another) to results/<op>.csv (header when new).

    A file written before the row type gained columns is rewritten once with the union of the columns (older
    rows keep theirs, new columns empty), through a temporary file renamed into place."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{op}.csv"
    names = [fld.name for fld in fields(rows[0] if rows else Measurement)]
    old_rows: list[dict] = []
    old_names: list[str] = []
    if path.exists():
        with path.open(newline="") as f:
            reader = csv.DictReader(f)
            old_names = list(reader.fieldnames or [])
            if old_names != names:
                old_rows = list(reader)
    if path.exists() and old_names == names:
        with path.open("a", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=names)
            _write_rows(writer, rows)
        return path
    union = old_names + [n for n in names if n not in old_names]
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=union)
        writer.writeheader()
        writer.writerows(old_rows)
        _write_rows(writer, rows)
    tmp.replace(path)
    return path


def _write_rows(writer: csv.DictWriter, rows: Sequence) -> None:
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in asdict(row).items()})


def plot(
    rows: Sequence[Measurement], op: str, metric: str = "gbps", results_dir: Path = RESULTS_DIR, xlabel: str = "width"
) -> Path | None:
    """One figure per op: a panel per mode, `metric` (or ms where it is missing) against x_value, a line per
    provider. Saved as results/<op>.png; returns None if matplotlib is missing or there is nothing to plot."""
    if not rows:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    modes = [m for m in MODES if any(r.mode == m for r in rows)]
    fig, axes = plt.subplots(1, len(modes), figsize=(5 * len(modes), 4), squeeze=False)
    for ax, mode in zip(axes[0], modes):
        for provider in dict.fromkeys(r.provider for r in rows):
            pts = sorted(
                (r.x_value, getattr(r, metric) or r.ms) for r in rows if r.mode == mode and r.provider == provider
            )
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=provider)
        has_metric = all(getattr(r, metric) is not None for r in rows)
        ax.set_title(f"{op} {mode}")
        ax.set_xlabel(xlabel)
        ax.set_ylabel({"gbps": "GB/s", "tflops": "TFLOP/s"}.get(metric, metric) if has_metric else "ms")
        ax.grid(alpha=0.3)
        ax.legend()
    first = rows[0]
    fig.suptitle(
        f"{first.device}, {first.dtype}, torch {first.torch_version}, triton {first.triton_version}", fontsize=9
    )
    fig.tight_layout()
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{op}.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def common_args(description: str, providers: Sequence[str]) -> argparse.ArgumentParser:
    """Flags every benchmark script shares."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--dtype", default=None, help="bfloat16 | float16 | float32 (default: bf16 on CUDA, fp32 on CPU)")
    p.add_argument("--providers", nargs="+", default=None, help=f"subset of {list(providers)}")
    p.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    p.add_argument("--save", action=argparse.BooleanOptionalAction, default=None,
                   help="append to results/<op>.csv and redraw the plot (default: on CUDA only)")
    return p


def resolve_common(
    args: argparse.Namespace, all_providers: Sequence[str]
) -> tuple[torch.device, torch.dtype, list[str]]:
    """Device, dtype and providers from parsed flags (and `args.save` resolved). On CPU only the eager `torch`
    provider runs by default (the Triton interpreter is a correctness tool, far too slow to time), and nothing
    is saved unless --save is given: CPU timings say nothing about the GPU."""
    device = torch.device(args.device)
    if args.save is None:
        args.save = device.type == "cuda"
    dtype = getattr(torch, args.dtype) if args.dtype else (torch.bfloat16 if device.type == "cuda" else torch.float32)
    providers = args.providers
    if providers is None:
        providers = list(all_providers) if device.type == "cuda" else ["torch"]
    unknown = set(providers) - set(all_providers)
    if unknown:
        raise SystemExit(f"unknown providers {sorted(unknown)}; choose from {list(all_providers)}")
    return device, dtype, providers


def print_rows(rows: Sequence[Measurement]) -> None:
    """A compact table on stdout."""
    print(
        f"{'provider':<14} {'mode':<9} {'shape':<16} {'ms':>9} {'p20':>9} {'p80':>9} {'GB/s':>8} {'%copy':>6} {'MiB':>8}"
    )

    def cell(value: float | None, width: int) -> str:
        return f"{'-':>{width}}" if value is None else f"{value:{width}.1f}"

    for r in rows:
        print(
            f"{r.provider:<14} {r.mode:<9} {r.shape:<16} {r.ms:9.4f} {r.ms_p20:9.4f} {r.ms_p80:9.4f} "
            f"{cell(r.gbps, 8)} {cell(r.pct_of_copy_bw, 6)} {cell(r.peak_mem_mb, 8)}"
        )


def model_widths(names: Sequence[str] = ("10m", "100m", "500m")) -> list[tuple[str, int, int]]:
    """(preset, n_embd, mlp_hidden) for each model preset, read from mathglm.model.gpt.GPTConfig.from_name (kernels
    must not depend on the model, but the benchmarks may). Raises ValueError for an unknown preset."""
    from mathglm.model.gpt import GPTConfig

    configs = {name: GPTConfig.from_name(name) for name in names}
    return [(name, config.n_embd, config.mlp_hidden) for name, config in configs.items()]


def add_row_width_args(parser: argparse.ArgumentParser) -> None:
    """Flags of the row-wise benchmarks (RMSNorm, SwiGLU): rows = tokens, widths from presets or explicit."""
    parser.add_argument("--tokens", type=int, default=None,
                        help="rows = batch x sequence length (default 16384 on CUDA, 512 on CPU)")
    parser.add_argument("--presets", nargs="+", default=["10m", "100m", "500m"], help="model presets for widths")
    parser.add_argument("--widths", nargs="+", type=int, default=None, help="explicit widths instead of presets")
    parser.add_argument("--quick", action="store_true",
                        help="fewer points, for a GPU session's time budget: presets 10m and 100m (the trained ones) "
                             "and modes forward and backward, where --presets/--widths/--modes do not say otherwise")


def apply_quick(args: argparse.Namespace) -> None:
    """--quick for the row-wise benchmarks: presets 10m and 100m, modes forward and backward, unless set explicitly.

    Each shape costs a torch.compile of the reference (a forward and a backward graph, seconds each) besides its
    timings, so two widths instead of three and no `full` mode keep one script near 25 s on a GPU
    (benchmarks/gpu_session.sh gives all kernel benchmarks 90 s).
    """
    if not args.quick:
        return
    if args.presets == ["10m", "100m", "500m"] and not args.widths:
        args.presets = ["10m", "100m"]
    if args.modes == list(MODES):
        args.modes = ["forward", "backward"]


def row_width_shapes(args: argparse.Namespace, device: torch.device, which: str) -> list[tuple[str, int, int]]:
    """(label, rows, width) per benchmarked shape; `which` is "n_embd" (norms) or "mlp_hidden" (SwiGLU)."""
    rows = args.tokens or (16384 if device.type == "cuda" else 512)
    if args.widths:
        return [(f"width={w}", rows, w) for w in args.widths]
    column = {"n_embd": 1, "mlp_hidden": 2}[which]
    return [(f"preset={p[0]}", rows, p[column]) for p in model_widths(args.presets)]


def finish(rows: Sequence[Measurement], op: str, args: argparse.Namespace, xlabel: str = "width") -> None:
    """Print the table; with --save also append the CSV and redraw the plot."""
    print_rows(rows)
    if args.save:
        print("appended to", append_csv(rows, op, args.results_dir))
        print("plot:", plot(rows, op, results_dir=args.results_dir, xlabel=xlabel))


def run_row_wise(
    op: str, fns: dict[str, Callable[..., torch.Tensor]], make_inputs: Callable[[int, int], list[torch.Tensor]],
    bytes_moved: Callable[[str, int, int, torch.dtype], int], args: argparse.Namespace, device: torch.device,
    dtype: torch.dtype, which: str,
) -> list[Measurement]:
    """Time every provider in `fns` in every mode on every (rows, width) shape; print and save the rows.

    `make_inputs(rows, width)` returns the leaf tensors (requiring grad) that each provider is called with."""
    results = []
    for source, rows, width in row_width_shapes(args, device, which):
        inputs = make_inputs(rows, width)
        for provider, fn in fns.items():
            for mode in args.modes:
                results.append(measure(
                    op, provider, mode, lambda fn=fn: fn(*inputs), inputs,
                    shape=f"{rows}x{width}", x_value=width, dtype=dtype, device=device,
                    bytes_moved=bytes_moved(mode, rows, width, dtype), note=source,
                ))
        del inputs
    finish(results, op, args)
    return results
