"""What a checkpoint carries besides weights, the inference bundle format (`write_bundle`, the reader beside it),
loading a model for inference (`load_for_inference`), and a new run's starting weights (`load_initial_weights`,
`python -m mathglm.train --init_from`).

A Lightning `.ckpt` written by `mathglm.train` holds, next to Lightning's own keys, `checkpoint["mathglm"]`:
the model config, the trace encoding, the fingerprint of the tokenizer it was trained with, and the kinds of
question it was trained on (`kinds`: "arithmetic" and/or "word", from the run's curriculum), so that solve and
eval rebuild exactly the model that was trained, refuse a tokenizer that does not match it, and refuse a question
of a kind the model never saw (`trained_kinds`). Model weights are under `state_dict` with the prefix `model.`
(the LightningModule's `self.model`).

A bundle (`python -m mathglm.export`) is a directory of three files:

    model.safetensors   the model weights only (no optimizer, no `model.` prefix), float32 unless saved in another
                        of BUNDLE_DTYPES
    config.yaml         format_version, model_config, encoding, tokenizer_sha256, tokenizer_vocab_size,
                        kinds (of question it was trained on), curriculum (when the checkpoint has one) and
                        source_checkpoint (path, sha256)
    tokenizer.model     the SentencePiece model the checkpoint was trained with (its sha256 is checked)

safetensors holds plain tensors and cannot run code when read, unlike a pickled `.ckpt`.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
import warnings
from dataclasses import asdict, dataclass, fields, is_dataclass
from pathlib import Path
from typing import Literal, Sequence

import torch

from datagen.hashing import file_sha256
from mathglm.model.encoding import ARITHMETIC, KINDS, TraceEncoding
from mathglm.model.gpt import GPT, GPTConfig
from mathglm.model.tokenizer import Tokenizer
from mathglm.runtime.precision import INFERENCE_PRECISIONS, inference_dtype

FORMAT_VERSION = 1
STATE_PREFIX = "model."


def model_config_dict(config: GPTConfig) -> dict:
    """The constructor arguments of `config` (derived fields left out), plain values for YAML and pickles."""
    init_names = {f.name for f in fields(GPTConfig) if f.init}
    return {k: v for k, v in asdict(config).items() if k in init_names}


def checkpoint_metadata(config: GPTConfig, encoding: TraceEncoding, tokenizer: Tokenizer,
                        kinds: Sequence[str] | None = None) -> dict:
    """The `checkpoint["mathglm"]` entry: everything inference needs to rebuild the trained model, and `kinds`,
    the kinds of question it was trained on (KINDS order; left out when None: loading then infers them, see
    `trained_kinds`).

    Raises:
        ValueError: a kind outside `mathglm.model.encoding.KINDS`, or an empty `kinds`.
    """
    metadata = {
        "format_version": FORMAT_VERSION,
        "model_config": model_config_dict(config),
        "encoding": asdict(encoding),
        "tokenizer_sha256": file_sha256(tokenizer.path),  # two tokenizers match when their bytes do
        "tokenizer_vocab_size": tokenizer.vocab_size,
    }
    if kinds is not None:
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown or not kinds:
            raise ValueError(f"kinds must be a non-empty subset of {', '.join(KINDS)}, got {list(kinds)}")
        metadata["kinds"] = [k for k in KINDS if k in kinds]
    return metadata


def tokenizer_has_letters(tokenizer: Tokenizer) -> bool:
    """Whether any piece of `tokenizer` holds a letter (byte and control pieces aside): the arithmetic-only
    tokenizer (284 pieces: digits, operators, bytes) has none, so text reaches a model trained with it only as
    byte pieces it never saw."""
    sp = tokenizer.sp
    return any(any(c.isalpha() for c in sp.id_to_piece(i)) for i in range(tokenizer.vocab_size)
               if not (sp.is_byte(i) or sp.is_control(i) or sp.is_unknown(i)))


def trained_kinds(metadata: dict, tokenizer: Tokenizer) -> tuple[str, ...]:
    """The kinds of question ("arithmetic", "word") the model of `metadata` was trained on.

    A checkpoint records them (`kinds`, from its run's curriculum). One written before that field existed is
    taken as arithmetic-only when its tokenizer has no letter pieces (`tokenizer_has_letters`: the old
    arithmetic-only tokenizer, which cannot have carried a word problem), and as trained on both otherwise: its
    curriculum is not recorded, and refusing a kind it may know would be worse than answering one it may not.

    Raises:
        CheckpointError: a recorded `kinds` that is not a non-empty list of known kinds.
    """
    recorded = metadata.get("kinds")
    if recorded is None:
        return KINDS if tokenizer_has_letters(tokenizer) else (ARITHMETIC,)
    if not isinstance(recorded, list) or not recorded or not set(recorded) <= set(KINDS):
        raise CheckpointError(f"bad kinds {recorded!r} in {metadata.get('source', 'the checkpoint')}: expected a "
                              f"non-empty list of {', '.join(KINDS)}")
    return tuple(k for k in KINDS if k in recorded)


# ------------------------------------------------------------------------------------------------- loading


class CheckpointError(Exception):
    """A checkpoint or bundle that cannot be used for inference; `str(err)` is one line for the user."""


@dataclass
class InferenceBundle:
    """Everything needed to run a trained model: the model (eval mode, on its device) and what it was trained with."""

    model: GPT
    tokenizer: Tokenizer
    encoding: TraceEncoding
    config: GPTConfig
    metadata: dict
    """The checkpoint's `mathglm` entry (or the bundle's config.yaml), plus `source`: the path it was loaded from."""

    kinds: tuple[str, ...] = KINDS
    """The kinds of question the model was trained on (`trained_kinds`)."""

    autocast_dtype: torch.dtype = torch.float32
    """The dtype generation runs its matrix products in (`torch.autocast`; float32: none): by default bfloat16 on
    a CUDA GPU with bf16 and float32 on a CPU (`mathglm.runtime.precision.autocast_dtype` says why)."""

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def _safe_globals() -> list:
    """Classes a mathglm `.ckpt` may pickle besides tensors (hyper-parameters), allowed under weights_only=True."""
    import pathlib

    from datagen import ArithmeticConfig

    allowed = [GPTConfig, TraceEncoding, ArithmeticConfig, pathlib.Path, pathlib.PosixPath, pathlib.PurePosixPath]
    try:
        from lightning.fabric.utilities.data import AttributeDict

        allowed.append(AttributeDict)
    except ImportError:  # pragma: no cover - lightning is a dependency, but loading must not need it
        pass
    return allowed


def _unpickler_reason(err: BaseException) -> str:
    """The informative line of torch's long weights-only error (`Unsupported global: GLOBAL x.Y ...`)."""
    text = str(err)
    marker = "WeightsUnpickler error:"
    if marker in text:
        tail = [line.strip() for line in text.split(marker, 1)[1].splitlines() if line.strip()]
        if tail:
            return tail[0]
    return _one_line(err)


def _torch_load(path: Path) -> object:
    """torch.load with weights_only=True (no code runs while unpickling) and an allow-list of our own classes.

    A checkpoint that pickles some other class (e.g. hyper-parameters holding a custom object) needs a full
    unpickle, which can run code: it is done only for that case, with a warning, since a `.ckpt` is normally the
    user's own training output. Set MATHGLM_SAFE_LOAD=1 to refuse such files instead.
    """
    try:
        # torch warns about the pickle protocol of damaged files before raising; the error below says it all.
        with torch.serialization.safe_globals(_safe_globals()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        reason = _unpickler_reason(err)
        if not reason.startswith("Unsupported global") or os.environ.get("MATHGLM_SAFE_LOAD") == "1":
            raise CheckpointError(f"cannot read checkpoint {path} (damaged or not a PyTorch file): {reason}") from None
        warnings.warn(f"{path} pickles classes beyond tensors ({reason.split(' was ')[0]}); loading it with a full "
                      "unpickle as a trusted local file (MATHGLM_SAFE_LOAD=1 refuses)", stacklevel=3)
    return torch.load(path, map_location="cpu", weights_only=False)


def _load_checkpoint(path: Path) -> dict:
    """The whole Lightning `.ckpt` at `path` (on the CPU), refused unless mathglm.train wrote it."""
    try:
        checkpoint = _torch_load(path)
    except CheckpointError:
        raise
    except Exception as err:  # torch raises many types for damaged files (RuntimeError, EOFError, OSError...)
        reason = _one_line(err)
        raise CheckpointError(f"cannot read checkpoint {path} (damaged or not a PyTorch file): {reason}") from None
    if not isinstance(checkpoint, dict) or "mathglm" not in checkpoint:
        raise CheckpointError(f"{path} is not a mathglm checkpoint (no 'mathglm' metadata: not written by "
                              "mathglm.train)")
    return checkpoint


def _model_weights(checkpoint: dict, path: Path) -> dict:
    """The model's state dict inside a loaded `.ckpt`, without the `model.` prefix."""
    state = checkpoint.get("state_dict")
    if not isinstance(state, dict):
        raise CheckpointError(f"{path} holds no 'state_dict'")
    weights = {}
    for key, value in state.items():
        if key.startswith(STATE_PREFIX):
            # torch.compile wraps the module: its keys gain `_orig_mod.`.
            weights[key[len(STATE_PREFIX):].replace("_orig_mod.", "")] = value
    return weights


def _read_checkpoint(path: Path) -> tuple[dict, dict]:
    """(metadata, model state dict without prefix) from a Lightning `.ckpt`. The metadata gains `curriculum`, the
    run's curriculum progress (stage, steps, history), when the checkpoint holds the data module's state."""
    checkpoint = _load_checkpoint(path)
    metadata = dict(checkpoint["mathglm"])
    state = checkpoint.get("MathDataModule")
    if isinstance(state, dict) and isinstance(state.get("curriculum_state"), dict):
        metadata["curriculum"] = state["curriculum_state"]
    return metadata, _model_weights(checkpoint, path)


def _check_training_tokenizer(path: Path, metadata: dict, tokenizer: Tokenizer, advice: str) -> None:
    """Refuse (CheckpointError, one line ending in `advice`) a checkpoint whose recorded tokenizer sha256 is not
    that of `tokenizer`'s file, or that records none: its embedding rows belong to another tokenizer's pieces."""
    expected, actual = metadata.get("tokenizer_sha256"), file_sha256(tokenizer.path)
    if expected != actual:
        raise CheckpointError(f"{path} was trained with another tokenizer (sha256 {str(expected)[:12]}) than this "
                              f"run's {tokenizer.path} (sha256 {actual[:12]}); {advice}")


def saved_global_step(path: str | Path) -> int:
    """The optimizer step a mathglm.train `.ckpt` was saved at (Lightning's `global_step`).

    Raises:
        CheckpointError: a missing, damaged or foreign file, or one that records no step.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint file {path}")
    step = _load_checkpoint(path).get("global_step")
    if not isinstance(step, int):
        raise CheckpointError(f"{path} records no global_step")
    return step


def check_training_checkpoint(path: str | Path, tokenizer: Tokenizer | None = None) -> None:
    """Raise CheckpointError (one line) unless `path` is a readable mathglm training checkpoint made with
    `tokenizer` (when given), so that resuming from a missing, damaged or foreign file, or one trained with
    another tokenizer (e.g. before the tokenizer was retrained), is refused before a Trainer exists."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint file {path}")
    metadata, _ = _read_checkpoint(path)
    if tokenizer is not None:
        _check_training_tokenizer(path, metadata, tokenizer, "start a new run, or set --model.tokenizer_path to the "
                                                             "tokenizer it was trained with")


# ------------------------------------------------------------------------ bundles: read and written here

BUNDLE_WEIGHTS = "model.safetensors"
BUNDLE_CONFIG = "config.yaml"
BUNDLE_TOKENIZER = "tokenizer.model"
BUNDLE_FILES = (BUNDLE_WEIGHTS, BUNDLE_CONFIG, BUNDLE_TOKENIZER)
"""What `write_bundle` writes into a bundle directory, and all that `force` replaces there."""
BUNDLE_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
"""The dtypes `write_bundle` may save the weights in (loading casts them back to float32)."""
BUNDLE_DTYPE_NAMES = tuple(BUNDLE_DTYPES)


def _read_bundle(directory: Path) -> tuple[dict, dict]:
    """(metadata, state dict) from a bundle directory (`write_bundle`)."""
    import yaml
    from safetensors.torch import load_file

    config_path, weights_path = directory / BUNDLE_CONFIG, directory / BUNDLE_WEIGHTS
    for needed in (config_path, weights_path):
        if not needed.is_file():
            raise CheckpointError(f"{directory} is not an inference bundle: {needed.name} is missing")
    try:
        metadata = yaml.safe_load(config_path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise CheckpointError(f"cannot read {config_path}: {_one_line(err)}") from None
    if not isinstance(metadata, dict) or "model_config" not in metadata:
        raise CheckpointError(f"{config_path} is not a mathglm bundle config (no model_config)")
    try:
        weights = load_file(str(weights_path))
    except Exception as err:  # safetensors raises its own SafetensorError and OSError
        raise CheckpointError(f"cannot read {weights_path}: {_one_line(err)}") from None
    return metadata, weights


def _plain(value):
    """`value` as YAML-safe plain data (tuples to lists, paths and unknown objects to strings)."""
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _holds(directory: Path, path: Path) -> bool:
    """Whether `path` is `directory` or inside it (links resolved)."""
    directory, path = directory.resolve(), path.resolve()
    return path == directory or directory in path.parents


def write_bundle(bundle: InferenceBundle, out_dir: str | Path, dtype: Literal[BUNDLE_DTYPE_NAMES] = "float32",
                 force: bool = False) -> Path:
    """Write `bundle` as a directory and return its path: the files are made in a temporary sibling directory, which
    is renamed onto `out_dir` when that does not exist or is empty; with `force` onto a non-empty `out_dir`, each
    of `BUNDLE_FILES` is renamed onto its name there, and every other file in it is left alone. The arguments are
    also `python -m mathglm.export`'s.

    Args:
        bundle: the model and what it was trained with (`load_for_inference`).
        out_dir: directory to create; must not exist or be empty (see force), and must not hold the checkpoint.
        dtype: dtype of the saved weights (loading casts back to float32).
        force: write into a non-empty out_dir: replaces the bundle's own files there (model.safetensors,
            config.yaml, tokenizer.model) and leaves every other file (a model card README.md, ...) as it is.

    Raises:
        CheckpointError: `out_dir` is not a directory (a file is never replaced); it is not empty and `force` is
            not given; or it holds the checkpoint being exported (a bundle re-exported onto itself too).
        OSError: the files cannot be written.
    """
    import yaml
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    source = Path(bundle.metadata.get("source", ""))
    if out_dir.exists() and not out_dir.is_dir():
        raise CheckpointError(f"{out_dir} exists and is not a directory; export writes a bundle directory")
    replace_files = out_dir.is_dir() and any(out_dir.iterdir())
    if replace_files and not force:
        raise CheckpointError(f"{out_dir} exists and is not empty (--force replaces the bundle files "
                              f"{', '.join(BUNDLE_FILES)} in it, and nothing else)")
    if str(source) and out_dir.exists() and _holds(out_dir, source):
        raise CheckpointError(f"{out_dir} holds the checkpoint being exported ({source}); export to another "
                              "directory")
    metadata = {k: v for k, v in bundle.metadata.items() if k != "source"}
    metadata["kinds"] = list(bundle.kinds)  # recorded, or inferred for a checkpoint from before the field
    if source.is_file():
        metadata["source_checkpoint"] = {"path": str(source.resolve()), "sha256": file_sha256(source)}
    elif source.is_dir():  # re-exporting a bundle keeps the original provenance
        metadata.setdefault("source_checkpoint", {"path": str(source.resolve())})
    # Tied weights share storage, which safetensors refuses: every tensor is saved as its own contiguous copy.
    weights = {k: v.detach().to("cpu", BUNDLE_DTYPES[dtype]).contiguous().clone()
               for k, v in bundle.model.state_dict().items()}
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        save_file(weights, str(staging / BUNDLE_WEIGHTS), metadata={"format": "pt"})
        (staging / BUNDLE_CONFIG).write_text(yaml.safe_dump(_plain(metadata), sort_keys=False, allow_unicode=True))
        shutil.copyfile(bundle.tokenizer.path, staging / BUNDLE_TOKENIZER)
        for f in staging.iterdir():
            f.chmod(0o644)
        if replace_files:
            for name in BUNDLE_FILES:
                os.replace(staging / name, out_dir / name)
            staging.rmdir()
        else:
            staging.chmod(0o755)  # mkdtemp makes it private; a bundle is meant to be shared
            if out_dir.exists():
                out_dir.rmdir()  # empty, checked above
            staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir


# ------------------------------------------------------------------------------------- loading for inference


def _check_tokenizer(tokenizer_path: Path, metadata: dict, source: Path) -> Tokenizer:
    if tokenizer_path.is_dir():
        inside = tokenizer_path / BUNDLE_TOKENIZER
        hint = f" (such as {inside})" if inside.is_file() else ""
        raise CheckpointError(f"tokenizer {tokenizer_path} is a directory; give the tokenizer model file{hint}")
    if not tokenizer_path.is_file():
        raise CheckpointError(f"tokenizer {tokenizer_path} does not exist")
    expected = metadata.get("tokenizer_sha256")
    actual = file_sha256(tokenizer_path)
    if expected and actual != expected:
        raise CheckpointError(
            f"tokenizer {tokenizer_path} (sha256 {actual[:12]}) does not match the one {source} was trained with "
            f"(sha256 {expected[:12]}); pass --tokenizer with the right file"
        )
    try:
        return Tokenizer(tokenizer_path)
    except Exception as err:  # sentencepiece raises RuntimeError/OSError for a bad model file
        raise CheckpointError(f"cannot load tokenizer {tokenizer_path}: {_one_line(err)}") from None


def _weights_mismatch(own: dict, weights: dict) -> str | None:
    """How `weights` fail to fit a model whose state dict is `own` (`2 missing (e.g. norm.weight), ...`), or
    None when every key is there with its shape."""
    missing = sorted(set(own) - set(weights))
    unexpected = sorted(set(weights) - set(own))
    wrong_shape = sorted(k for k in set(own) & set(weights) if tuple(own[k].shape) != tuple(weights[k].shape))
    parts = [f"{len(keys)} {label} (e.g. {keys[0]})"
             for label, keys in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong_shape))
             if keys]
    return ", ".join(parts) or None


def _build_model(metadata: dict, weights: dict, source: Path) -> tuple[GPT, GPTConfig]:
    try:
        config = GPTConfig(**metadata["model_config"])
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{source}: bad model_config: {_one_line(err)}") from None
    # Inference runs where the caller puts it; "auto" picks the Triton kernels on CUDA and PyTorch elsewhere.
    config.attention_impl = "auto"
    with torch.device("meta"):
        model = GPT(config)
    model = model.to_empty(device="cpu")
    if config.tie_embeddings:
        model.lm_head.weight = model.wte.weight  # to_empty can split tied parameters
    mismatch = _weights_mismatch(model.state_dict(), weights)
    if mismatch:
        raise CheckpointError(f"{source}: weights do not match its model_config: {mismatch}")
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in weights.items()})
    return model, config


def _check_format_version(metadata: dict, path: Path) -> None:
    version = metadata.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(f"{path}: format_version {version!r} is not supported (this code reads "
                              f"<= {FORMAT_VERSION})")


# Device types a model can generate on. `meta` (shapes without data) and the rest torch names are refused: a model
# moved there fails later, inside generation, with a traceback.
RUNNABLE_DEVICE_TYPES = ("cpu", "cuda", "mps")


def resolve_device(device: str | torch.device | None) -> torch.device:
    """"auto" (CUDA when available, else CPU), or a device string of a type in `RUNNABLE_DEVICE_TYPES`.

    Raises:
        CheckpointError: a string torch does not read as a device, another device type (`meta`, `xla`, ...),
            CUDA or MPS asked for where it is not available, or a CUDA index beyond the visible devices.
    """
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError, ValueError) as err:
        raise CheckpointError(f"bad device {device!r}: {_one_line(err)}") from None
    if device.type not in RUNNABLE_DEVICE_TYPES:
        raise CheckpointError(f"device {device} cannot run a model; use {', '.join(RUNNABLE_DEVICE_TYPES)} or auto")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise CheckpointError(f"device {device} requested but CUDA is not available")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise CheckpointError(f"device {device} requested but only {torch.cuda.device_count()} CUDA devices are "
                              "visible")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise CheckpointError(f"device {device} requested but MPS is not available")
    return device


def load_for_inference(
    checkpoint: str | Path, tokenizer: str | Path | None = None, device: str = "cpu",
    precision: Literal[INFERENCE_PRECISIONS] = "auto",
) -> InferenceBundle:
    """The model of a Lightning `.ckpt` or of a bundle written by `mathglm.export`, ready to generate. The weights
    stay float32 whatever `precision` is. The arguments are also the checkpoint options of `python -m
    mathglm.solve`, `eval`, `export` and `verify`, whose help is written here (`mathglm.cli.flags`).

    Args:
        checkpoint: a Lightning .ckpt from mathglm.train or a bundle directory from mathglm.export.
        tokenizer: tokenizer model file (null: the bundle's, or the shipped mathglm/model/assets/tokenizer.model);
            its sha256 must be the one recorded at training time: the tokenizer the checkpoint was trained with.
        device: auto, cpu, cuda, cuda:1, mps, ... (auto: cuda when available, else cpu; a torch.device works too).
        precision: what generation computes in: auto (bf16 autocast on a GPU with bf16; fp32 on a CPU, where bf16
            decoding measured no faster; `mathglm.runtime.precision.autocast_dtype`), bf16 (autocast, also on a
            CPU) or fp32.

    Raises:
        CheckpointError: one line for every failure: a missing or unreadable file, not a mathglm checkpoint,
            weights that do not fit the config, the wrong tokenizer, an unusable device.
    """
    from mathglm.model.tokenizer import DEFAULT_MODEL_PATH

    path, tokenizer_path = Path(checkpoint), tokenizer
    target = resolve_device(device)
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist")
    if path.is_dir():
        metadata, weights = _read_bundle(path)
        default_tokenizer = path / BUNDLE_TOKENIZER
        if not default_tokenizer.is_file():
            default_tokenizer = DEFAULT_MODEL_PATH
    else:
        metadata, weights = _read_checkpoint(path)
        default_tokenizer = DEFAULT_MODEL_PATH
    _check_format_version(metadata, path)
    tokenizer = _check_tokenizer(Path(tokenizer_path) if tokenizer_path else default_tokenizer, metadata, path)
    model, config = _build_model(metadata, weights, path)
    try:
        encoding = TraceEncoding(**metadata.get("encoding", {}))
    except TypeError as err:
        raise CheckpointError(f"{path}: bad encoding: {_one_line(err)}") from None
    if config.vocab_size < tokenizer.vocab_size:
        raise CheckpointError(f"{path}: model vocab {config.vocab_size} < tokenizer vocab {tokenizer.vocab_size}")
    metadata = {**metadata, "source": str(path)}
    kinds = trained_kinds(metadata, tokenizer)
    model.to(target).eval()
    return InferenceBundle(model=model, tokenizer=tokenizer, encoding=encoding, config=config, metadata=metadata,
                           kinds=kinds, autocast_dtype=_inference_dtype(precision, target))


def _inference_dtype(precision: str, device: torch.device) -> torch.dtype:
    try:
        return inference_dtype(precision, device)
    except ValueError as err:
        raise CheckpointError(str(err)) from None



# ------------------------------------------------------------------------------- starting a run from weights

# GPTConfig fields a run may set differently from the checkpoint it starts from: none of them changes which weights
# the model has or what they compute. `block_size` is free because positions are rotary (no learned position
# table), so a later stage may train on longer windows; `name` only labels the preset, whose resolved fields are
# compared; `mlp_multiple` acts only through `mlp_hidden`, which is compared; `init_std` is overwritten by the
# weights. Every other field (shapes, vocabulary, biases, tying, rotary base, norm epsilon) must match.
INIT_FREE_FIELDS = frozenset({"name", "block_size", "dropout", "attention_impl", "init_std", "mlp_multiple"})


def architecture_differences(saved: dict, config: GPTConfig) -> list[str]:
    """Each way a checkpoint's `model_config` (`saved`, as `model_config_dict` wrote it) differs from `config` in
    a field outside `INIT_FREE_FIELDS`, as `checkpoint has <field> <its value>, this run's model has <value>`, in
    GPTConfig's field order. Fields the checkpoint does not record (written before the field existed) are not
    compared."""
    ours = model_config_dict(config)
    return [f"checkpoint has {name} {saved[name]}, this run's model has {ours[name]}"
            for name in ours if name not in INIT_FREE_FIELDS and name in saved and saved[name] != ours[name]]


def load_initial_weights(model: GPT, path: str | Path, tokenizer: Tokenizer) -> int | None:
    """Copy the model weights of a mathglm.train `.ckpt`, or of a bundle directory written by `mathglm.export`,
    into `model` (strictly: every parameter, each with its shape), to start a new run from them.

    Only weights are read: the checkpoint's optimizer, schedule, step counter and curriculum stay behind. Returns
    the step the checkpoint was saved at (None for a bundle, which does not record it).

    Raises:
        CheckpointError: one line, before `model` is touched, for a missing, damaged or foreign file, a format
            this code cannot read, a checkpoint trained with a tokenizer other than `tokenizer` (the sha256
            check of resuming), a model_config that differs from `model.config` (every differing field named,
            see `architecture_differences`), or weights that do not fit `model` for any other reason.
    """
    path = Path(path)
    if path.is_dir():
        metadata, weights = _read_bundle(path)
        step = None
    elif path.is_file():
        checkpoint = _load_checkpoint(path)
        metadata, weights = dict(checkpoint["mathglm"]), _model_weights(checkpoint, path)
        step = checkpoint.get("global_step")
    else:
        raise CheckpointError(f"no checkpoint file or bundle directory {path}")
    _check_format_version(metadata, path)
    _check_training_tokenizer(path, metadata, tokenizer,
                              "set --model.tokenizer_path to the tokenizer it was trained with")
    saved_config = metadata.get("model_config")
    if not isinstance(saved_config, dict):
        raise CheckpointError(f"{path}: no model_config recorded")
    differences = architecture_differences(saved_config, model.config)
    if differences:
        raise CheckpointError(f"{path}: {'; '.join(differences)} (set --model.model_config to the checkpoint's)")
    mismatch = _weights_mismatch(model.state_dict(), weights)
    if mismatch:
        raise CheckpointError(f"{path}: weights do not fit this run's model: {mismatch}")
    # load_state_dict copies into the existing parameters, casting a bundle's bfloat16/float16 to their dtype.
    model.load_state_dict(weights, strict=True)
    return int(step) if step is not None else None
