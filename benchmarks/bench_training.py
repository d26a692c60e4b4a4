"""Training throughput of whole optimizer steps per preset: tokens/s, MFU (GPU), share of the GEMM rate (CPU).

Providers: `triton` (the model with attention_impl="triton": our flash attention, RMSNorm and SwiGLU kernels),
`reference` (attention_impl="reference": eager PyTorch, SDPA with a boolean segment mask) and `compile` (the
reference model compiled as `mathglm.train` compiles it, `mathglm.runtime.compile.compile_model`: on a CPU with
the explicit attention that Inductor fuses). One step is what Lightning does: forward under autocast in each of
`--dtypes` (float32: none), backward, gradient clipping at 1.0, the run's AdamW (`MathGLMModule`'s `adamw`:
parameter groups, betas, multi-tensor update), zero_grad; the output layer runs at scored positions only.

Data: real packed windows (`--data packed`, the default): `mathglm.data.datamodule.pack_batch` on datagen's `full`
stage with the training encoding (reversed digits), several traces per window, each its own segment, padding at
the tail. A pool of a few distinct batches is built and moved to the device before timing and then cycled:
generating them is not timed (in training, DataLoader workers overlap it; `datagen_throughput.py` measures it).
`--data synthetic`: random token ids of the same shape, one segment per window.

Shapes: on a GPU, batch size and window from `configs/gpu_<preset>.yaml` (data.batch_size, data.window) when
that file exists, else a 65,536-token batch of windows min(block_size, 1024); on a CPU, `CPU_SHAPES` (tiny: the
default run's 24 x 128; 10m: 16 x 512); `--batch-size`/`--window` override.

Timing: `--warmup` steps (the first one compiles: Triton autotuning, torch.compile), then `--steps` steps, each
ended by torch.cuda.synchronize; median step time with 20th/80th percentiles. tokens/s counts every window
position (padding costs the same FLOPs); the CSV's `target_share` says how many of them carry a loss target.

MFU = estimate_flops_per_token(T) x tokens/s / the GPU's peak dense bf16 FLOP/s (PEAK_BF16_TFLOPS below).
estimate_flops_per_token is PaLM's 6 N + 12 L d T (model FLOPs: the full T x T attention term, although causal
attention within short packed segments does far less), so MFU here is comparable with PaLM's and nanoGPT's.
On a CPU, where no datasheet peak applies, each row also measures this machine's own GEMM rate at the step's
shapes in its dtype (`gemm_tflops`, right after its steps) and reports the step's model FLOP rate as a share of
it (`roofline_share`). Peak memory: torch.cuda.max_memory_allocated over the timed steps.

    PYTHONPATH=. python benchmarks/bench_training.py                    # GPU: tiny, 10m, 100m x all providers
    PYTHONPATH=. python benchmarks/bench_training.py --presets 100m --providers triton compile --steps 50
    PYTHONPATH=. python benchmarks/bench_training.py --device cpu --presets tiny 10m   # CPU: eager/compile x fp32/bf16
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import shlex
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import triton
import yaml

from benchmarks.harness import RESULTS_DIR, append_csv, device_name
from datagen import sample_problems
from mathglm.data.datamodule import pack_batch
from mathglm.model.encoding import TraceEncoding
from mathglm.model.gpt import GPT, GPTConfig
from mathglm.model.tokenizer import load_tokenizer
from mathglm.runtime.compile import compile_model
from mathglm.runtime.precision import cpu_bf16_flag, cpu_flags
from mathglm.training.cli import DEFAULT_CONFIG
from mathglm.training.module import adamw

OP = "training"
PROVIDERS = ("triton", "reference", "compile")
CONFIGS = Path(__file__).resolve().parents[1] / "configs"
POOL = 4  # distinct batches cycled through the timed steps
# CPU shapes: the default run's (mathglm/configs/train.yaml) for tiny; 16 windows of 512 for 10m (issue 21's shape).
_DEFAULT_DATA = yaml.safe_load(DEFAULT_CONFIG.read_text())["data"]
CPU_SHAPES = {
    "tiny": (int(_DEFAULT_DATA["batch_size"]), int(_DEFAULT_DATA["window"]), "mathglm/configs/train.yaml"),
    "10m": (16, 512, "16 x 512"),
}

# Peak dense (no 2:4 sparsity) bf16 tensor-core throughput in TFLOP/s, from NVIDIA's datasheets, which quote the
# sparse figure (2x): H100 SXM5 1,979 -> 989.4; H100 PCIe 1,513 -> 756.5; H100 NVL 1,671 -> 835.5; H200 (SXM)
# and GH200 1,979 -> 989.4; A100 624 -> 312. Matched as substrings of torch.cuda.get_device_name, first match
# wins (so "H100 PCIe" before "H100"). Datasheet peaks are not reachable: an 8192^3 bf16 matmul measured about
# 790-800 TFLOP/s on the lent H100 and H200 machines (/work/.library/device/KINDS.md), i.e. ~80% of 989.
PEAK_BF16_TFLOPS: tuple[tuple[str, float], ...] = (
    ("H100 PCIe", 756.5),
    ("H100 NVL", 835.5),
    ("H100", 989.4),
    ("H200", 989.4),
    ("A100", 312.0),
)


@dataclass
class TrainingMeasurement:
    """One CSV row: one provider training one preset on one batch shape."""

    preset: str
    provider: str
    batch: int
    window: int
    data: str  # "packed" (full stage) or "synthetic"
    target_share: float  # positions with a loss target / all positions
    dtype: str  # autocast dtype of the matmuls ("float32": no autocast)
    params: int
    flops_per_token: float
    warmup: int
    steps: int
    ms: float  # median step time
    ms_p20: float
    ms_p80: float
    tokens_per_s: float  # batch * window / median step time
    tflops: float  # flops_per_token * tokens_per_s / 1e12
    mfu: float | None  # tflops / peak_tflops (None where the peak is unknown, e.g. CPU)
    peak_tflops: float | None
    peak_mem_mb: float | None  # CUDA only
    gemm_tflops: float | None  # CPU: this machine's GEMM rate at the step's shapes in the step's dtype
    roofline_share: float | None  # tflops / gemm_tflops
    loss_last: float  # loss of the last timed step: same data and init per preset, so comparable
    device: str
    torch_version: str
    triton_version: str
    date: str
    command: str
    note: str = ""  # where the shape came from; errors (out of memory)


def peak_tflops_of(device: torch.device) -> float | None:
    """Datasheet dense bf16 peak of this GPU (None on CPU or for a GPU not in the table)."""
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((peak for key, peak in PEAK_BF16_TFLOPS if key in name), None)


def batch_shape(preset: str, device: torch.device, args: argparse.Namespace) -> tuple[int, int, str]:
    """(batch size, window, where they came from) for `preset`."""
    block_size = GPTConfig.from_name(preset, vocab_size=64).block_size
    if device.type != "cuda":
        batch, window, source = CPU_SHAPES.get(preset, (4, min(128, block_size), "CPU default"))
    elif (config := CONFIGS / f"gpu_{preset}.yaml").is_file():
        data = yaml.safe_load(config.read_text())["data"]
        batch, window, source = int(data["batch_size"]), int(data["window"]), f"configs/{config.name}"
    else:
        window = min(block_size, 1024)
        batch, source = 65536 // window, "65536-token batch"
    if args.batch_size or args.window:
        source = "command line"
    return args.batch_size or batch, args.window or window, source


def make_batches(batch: int, window: int, kind: str, vocab_size: int, seed: int) -> list[dict[str, torch.Tensor]]:
    """POOL batches of (batch, window) tensors on the CPU: idx, targets, segment_ids, position_ids."""
    tokenizer = load_tokenizer()
    if kind == "packed":
        problems = sample_problems(random.Random(seed), "full", "train")
        encoding = TraceEncoding(reverse_digits=True)
        return [pack_batch(lambda: next(problems), batch, window, tokenizer, encoding) for _ in range(POOL)]
    gen = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(POOL):
        idx = torch.randint(4, vocab_size, (batch, window + 1), generator=gen)
        out.append({
            "idx": idx[:, :-1], "targets": idx[:, 1:].clone(),
            "segment_ids": torch.zeros(batch, window, dtype=torch.long),
            "position_ids": torch.arange(window).expand(batch, window).clone(),
        })
    return out


def build(preset: str, provider: str, device: torch.device, block_size: int) -> tuple[torch.nn.Module, GPT, object]:
    """(callable model, the GPT inside it, AdamW) as `MathGLMModule` builds it (`adamw`); `compile` compiles the
    model as `mathglm.train` does."""
    impl = "triton" if provider == "triton" else "reference"
    torch.manual_seed(0)
    config = GPTConfig.from_name(preset, attention_impl=impl, block_size=block_size)
    with torch.device(device):
        model = GPT(config)
    optimizer = adamw(model, 6e-4, (0.9, 0.98), 0.1)
    if provider == "compile":  # as a training run compiles (explicit attention on a CPU)
        print(compile_model(model, device))
    return model, model, optimizer


def step_gemm_shapes(config: GPTConfig, tokens: int, scored: int) -> list[tuple[int, int, int, int]]:
    """(M, K, N, times per forward) of the matrix products of one training step's forward: per block the qkv
    and attention output projections and SwiGLU's gate, up and down; the output layer at the scored positions.
    The backward runs the same products transposed (twice the FLOPs), so their rate stands for the step's."""
    C, hidden, L = config.n_embd, config.mlp_hidden, config.n_layer
    return [(tokens, C, 3 * C, L), (tokens, C, C, L), (tokens, C, hidden, 2 * L), (tokens, hidden, C, L),
            (scored, C, config.padded_vocab_size, 1)]


def gemm_tflops(shapes: Sequence[tuple[int, int, int, int]], dtype: torch.dtype, repeats: int = 5) -> float:
    """This machine's matrix-product rate in TFLOP/s at `shapes` in `dtype` (CPU): every shape's median time
    over `repeats` products, weighted by how often the step runs it (total FLOPs / total time)."""
    flops = seconds = 0.0
    for m, k, n, times in shapes:
        a, b = torch.randn(m, k, dtype=dtype), torch.randn(k, n, dtype=dtype)
        a @ b  # first touch
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            a @ b
            samples.append(time.perf_counter() - start)
        flops += 2.0 * m * k * n * times
        seconds += statistics.median(samples) * times
    return flops / seconds / 1e12


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_one(
    preset: str, provider: str, device: torch.device, dtype: torch.dtype, args: argparse.Namespace,
    peak: float | None,
) -> TrainingMeasurement:
    batch, window, source = batch_shape(preset, device, args)
    block_size = max(window, GPTConfig.from_name(preset, vocab_size=64).block_size)
    runner, model, optimizer = build(preset, provider, device, block_size)
    batches = [{k: v.to(device, non_blocking=True) for k, v in b.items()}
               for b in make_batches(batch, window, args.data, model.config.vocab_size, args.seed)]
    target_share = sum(float((b["targets"] != -100).float().mean()) for b in batches) / len(batches)
    autocast = torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32)

    def step(b: dict[str, torch.Tensor]) -> torch.Tensor:
        with autocast:
            _, loss = runner(**b, return_logits=False)  # as MathGLMModule: the output layer at targets only
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss

    for i in range(args.warmup):
        step(batches[i % POOL])
    sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    times = []
    for i in range(args.steps):
        start = time.perf_counter()
        loss = step(batches[(args.warmup + i) % POOL])
        sync(device)
        times.append((time.perf_counter() - start) * 1000)
    gemm = None
    if device.type == "cpu":  # measured right after the steps, under the same conditions
        scored = round(sum(int((b["targets"] != -100).sum()) for b in batches) / len(batches))
        gemm = gemm_tflops(step_gemm_shapes(model.config, batch * window, scored), dtype)
    ms = statistics.median(times)
    deciles = statistics.quantiles(times, n=10, method="inclusive") if len(times) > 1 else [ms] * 9
    p20, p80 = deciles[1], deciles[7]
    tokens_per_s = batch * window / (ms * 1e-3)
    flops_per_token = model.estimate_flops_per_token(window)
    tflops = flops_per_token * tokens_per_s / 1e12
    return TrainingMeasurement(
        preset=preset, provider=provider, batch=batch, window=window, data=args.data,
        target_share=target_share, dtype=str(dtype).removeprefix("torch."), params=model.num_params(),
        flops_per_token=flops_per_token, warmup=args.warmup, steps=args.steps, ms=ms, ms_p20=p20, ms_p80=p80,
        tokens_per_s=tokens_per_s, tflops=tflops, mfu=tflops / peak if peak else None, peak_tflops=peak,
        peak_mem_mb=torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None,
        gemm_tflops=gemm, roofline_share=tflops / gemm if gemm else None, loss_last=float(loss.detach()),
        **_provenance(device), note=source,
    )


def _provenance(device: torch.device) -> dict[str, str]:
    return dict(
        device=device_name(device), torch_version=torch.__version__, triton_version=triton.__version__,
        date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        command=" ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv]),
    )


def failed_row(
    preset: str, provider: str, device: torch.device, args: argparse.Namespace, error: str
) -> TrainingMeasurement:
    """A row that records a run that could not complete (out of memory, compile failure), with NaN timings."""
    batch, window, source = batch_shape(preset, device, args)
    nan = float("nan")
    return TrainingMeasurement(
        preset=preset, provider=provider, batch=batch, window=window, data=args.data, target_share=nan,
        dtype="", params=0, flops_per_token=nan, warmup=args.warmup, steps=args.steps, ms=nan, ms_p20=nan,
        ms_p80=nan, tokens_per_s=nan, tflops=nan, mfu=None, peak_tflops=None, peak_mem_mb=None, gemm_tflops=None,
        roofline_share=None, loss_last=nan,
        **_provenance(device), note=f"{source}; FAILED: {error}",
    )


def markdown_table(rows: Sequence[TrainingMeasurement]) -> str:
    """The RESULTS.md table: one line per (preset, provider, dtype); speed-up against the same preset's eager
    fp32 `reference` row; on a CPU, the GEMM rate measured at the step's shapes and the step's share of it."""
    baseline = {r.preset: r.tokens_per_s for r in rows if r.provider == "reference" and r.dtype == "float32"}
    lines = [
        "| preset | provider | dtype | batch x window | ms/step (p20-p80) | tokens/s | TFLOP/s | MFU "
        "| GEMM TFLOP/s | share of GEMM | vs fp32 reference | peak MiB |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        speedup = r.tokens_per_s / baseline[r.preset] if r.preset in baseline else None
        cells = [
            r.preset, r.provider, r.dtype, f"{r.batch} x {r.window}", f"{r.ms:.1f} ({r.ms_p20:.1f}-{r.ms_p80:.1f})",
            f"{r.tokens_per_s:,.0f}", f"{r.tflops:.3f}", "-" if r.mfu is None else f"{r.mfu:.1%}",
            "-" if r.gemm_tflops is None else f"{r.gemm_tflops:.3f}",
            "-" if r.roofline_share is None else f"{r.roofline_share:.0%}",
            "-" if speedup is None else f"{speedup:.2f}x", "-" if r.peak_mem_mb is None else f"{r.peak_mem_mb:,.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--dtypes", nargs="+", default=None, choices=("bfloat16", "float16", "float32"),
                   help="autocast dtypes, each a row (float32 = no autocast; default: bfloat16 on CUDA, float32 and "
                        "bfloat16 on a CPU)")
    p.add_argument("--presets", nargs="+", default=None, help="model presets (default: tiny 10m 100m on CUDA, "
                                                              "tiny on CPU)")
    p.add_argument("--providers", nargs="+", default=None, choices=PROVIDERS,
                   help="default: all on CUDA, reference on CPU")
    p.add_argument("--batch-size", type=int, default=None, help="override the preset's batch size")
    p.add_argument("--window", type=int, default=None, help="override the preset's window (sequence length)")
    p.add_argument("--data", choices=("packed", "synthetic"), default="packed")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps first (default 3 on CUDA, 1 on CPU)")
    p.add_argument("--steps", type=int, default=None, help="timed steps (default 20 on CUDA, 3 on CPU)")
    p.add_argument("--seed", type=int, default=0, help="seed of the problem stream")
    p.add_argument("--peak-tflops", type=float, default=None, help="override the peak dense FLOP/s used for MFU")
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    p.add_argument("--save", action=argparse.BooleanOptionalAction, default=None,
                   help="append to results/training.csv (default: on CUDA only)")
    args = p.parse_args(argv)
    cuda = torch.device(args.device).type == "cuda"
    args.presets = args.presets or (["tiny", "10m", "100m"] if cuda else ["tiny"])
    args.providers = args.providers or (list(PROVIDERS) if cuda else ["reference", "compile"])
    args.warmup = 3 if args.warmup is None and cuda else 1 if args.warmup is None else args.warmup
    args.steps = 20 if args.steps is None and cuda else 3 if args.steps is None else args.steps
    args.save = cuda if args.save is None else args.save
    if args.steps < 1 or args.warmup < 0:
        p.error("--steps must be >= 1 and --warmup >= 0")
    if not cuda and "triton" in args.providers and os.environ.get("TRITON_INTERPRET") != "1":
        p.error("the triton provider on CPU needs TRITON_INTERPRET=1 (the interpreter: correct but far too slow "
                "to time)")
    return args


def main(argv: Sequence[str] | None = None) -> list[TrainingMeasurement]:
    args = parse_args(argv)
    device = torch.device(args.device)
    names = args.dtypes or (["bfloat16"] if device.type == "cuda" else ["float32", "bfloat16"])
    torch.set_float32_matmul_precision("high")  # as mathglm.train does
    peak = args.peak_tflops or peak_tflops_of(device)
    machine = device_name(device)
    if device.type == "cpu":
        machine += f"; bf16 matrix flag: {cpu_bf16_flag(cpu_flags()) or 'none'}; {torch.get_num_threads()} threads"
    print(f"{machine}; torch {torch.__version__}; peak dense bf16 {peak or 'unknown'} TFLOP/s; data {args.data}")
    rows = []
    for preset in args.presets:
        for provider, name in [(provider, name) for provider in args.providers for name in names]:
            dtype = getattr(torch, name)
            try:
                row = run_one(preset, provider, device, dtype, args, peak)
            except (torch.cuda.OutOfMemoryError, RuntimeError) as err:
                # One failed provider (out of memory at 100m, a compile error) must not lose the other rows.
                message = " ".join(str(err).split())[:200]
                print(f"!! {preset}/{provider}: {message}", file=sys.stderr)
                row = failed_row(preset, provider, device, args, message)
            rows.append(row)
            if args.save:  # row by row: a run stopped by a timeout keeps what it measured
                append_csv([row], OP, args.results_dir)
            share = f" ({row.roofline_share:.0%} of GEMM {row.gemm_tflops:.3f})" if row.roofline_share else ""
            print(f"{preset:>5} {provider:<9} {name:<8} {row.ms:9.2f} ms/step {row.tokens_per_s:12,.0f} tokens/s "
                  f"{row.tflops:.3f} TFLOP/s{share} loss {row.loss_last:.4f}", flush=True)
            if device.type == "cuda":
                torch.cuda.empty_cache()
    print()
    print(markdown_table(rows))
    if args.save:
        print("appended to", args.results_dir / f"{OP}.csv")
    return rows


if __name__ == "__main__":
    main()
