"""Config value ranges (mathglm.cli.config_checks) and whether data.window holds the curriculum's traces."""

import math
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mathglm.cli.config_checks import Range, check_ranges
from mathglm.data.curriculum import Curriculum
from mathglm.data.datamodule import MathDataModule
from mathglm.model.encoding import TraceEncoding
from mathglm.model.gpt import GPTConfig
from mathglm.model.tokenizer import load_tokenizer
from mathglm.training.module import MathGLMModule

BOUNDS = st.one_of(st.none(), st.integers(-3, 3), st.sampled_from([0.5, -0.5]))


@given(
    value=st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0.0, 1.0, -1.0, 0.5, "1", [1]])),
    low=BOUNDS, high=BOUNDS, low_open=st.booleans(), high_open=st.booleans(), integer=st.booleans(),
    optional=st.booleans(),
)
def test_range_accepts_exactly_its_interval(value, low, high, low_open, high_open, integer, optional):
    allowed = Range(low=low, high=high, low_open=low_open, high_open=high_open, integer=integer, optional=optional)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    inside = (value is None and optional) or (
        number and math.isfinite(value) and (isinstance(value, int) or not integer)
        and (low is None or value > low or (value == low and not low_open))
        and (high is None or value < high or (value == high and not high_open))
    )
    problem = allowed.problem(value)
    assert (problem is None) == bool(inside)
    if problem is not None:
        assert problem == f"must be {allowed.describe()}, got {value!r}"


def test_range_words_and_special_values():
    no_limit = Range(low=1, integer=True, special=(-1,))
    assert no_limit.describe() == "-1 or an integer >= 1"
    assert no_limit.problem(-1) is None and no_limit.problem(0) == "must be -1 or an integer >= 1, got 0"
    assert Range(low=0, high=1, high_open=True).describe() == "a number in [0, 1)"
    assert Range(low=0, high=2**32 - 1, integer=True).describe() == "an integer in [0, 4294967295]"
    assert Range(low=0, low_open=True, optional=True).describe() == "null or a number > 0"
    with pytest.raises(ValueError, match=r"^data\.b: must be an integer >= 1, got 0$"):
        check_ranges("data.", {"a": 1, "b": 0}, {"a": Range(low=1, integer=True), "b": Range(low=1, integer=True)})


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: MathGLMModule(GPTConfig(), learning_rate=0.0), "model.learning_rate: must be a number > 0, got 0.0"),
        (lambda: MathGLMModule(GPTConfig(), decay_steps=0), "model.decay_steps: must be null or an integer >= 1, got 0"),
        (lambda: MathGLMModule(GPTConfig(), betas=(1.0, 0.9)), "model.betas[0]: must be a number in [0, 1), got 1.0"),
        (lambda: MathDataModule(ADD2, batch_size=2.5), "data.batch_size: must be an integer >= 1, got 2.5"),
        (lambda: MathDataModule(ADD2, window=0), "data.window: must be null or an integer >= 1, got 0"),
        (lambda: MathDataModule(curriculum={"replay_share": float("nan"), "stages": [{"name": "a", "mix": "mul"}]}),
         "data.curriculum: replay_share must be a number in [0, 1), got nan"),
        (lambda: Curriculum.from_dict({"stages": [{"name": "a", "mix": "mul", "max_steps": 0}]}),
         "stage 'a': max_steps must be null or an integer >= 1, got 0"),
        (lambda: Curriculum.from_dict({"stages": [{"name": "a", "mix": {"mul": "heavy"}}]}),
         "mixture component 'mul': mixture weights must be positive numbers, got 'heavy'"),
    ],
)
def test_classes_check_their_values_when_built(build, message):
    with pytest.raises(ValueError) as err:
        build()
    assert str(err.value) == message


# Two-digit additions are 7 to 11 tokens (`BOS 9 9 + 9 9 = 8 9 1 EOS`); about 3 in 4 are 9 or fewer.
ADD2 = {"stages": [{"name": "add2", "mix": {"add2": {"base": "add_sub", "max_digits": 2, "operators": "+"}}}]}


def _model(block_size: int = 32) -> dict:
    """What the train command hands the data module from the model: its tokenizer, encoding and block size."""
    return {"tokenizer": load_tokenizer(), "encoding": TraceEncoding(), "block_size": block_size}


def test_window_that_holds_every_trace_passes_quietly():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert MathDataModule(curriculum=ADD2, window=11, **_model()).check_window() == 11
        assert MathDataModule(curriculum=ADD2, window=None, **_model(24)).check_window() == 24


def test_window_that_holds_most_traces_warns_that_the_rest_are_skipped():
    with pytest.warns(UserWarning, match=r"data\.window: 2\d\d of 256 sampled traces of curriculum stage 'add2' fit "
                                         r"in a window of 10 tokens .*7 to 11 tokens.*skipped"):
        assert MathDataModule(curriculum=ADD2, window=10, **_model()).check_window() == 10


@pytest.mark.parametrize("window", [4, 8])
def test_window_that_holds_less_than_half_the_traces_is_refused(window):
    with pytest.raises(ValueError, match=rf"^data\.window: only \d+ of 256 sampled traces of curriculum stage "
                                         rf"'add2' fit in a window of {window} tokens .* at least 9, or 11 to hold "
                                         rf"them all$"):
        MathDataModule(curriculum=ADD2, window=window, **_model()).check_window()


def test_window_beyond_the_block_size_is_refused():
    with pytest.raises(ValueError, match=r"^data\.window: 64 exceeds the model's block_size 32"):
        MathDataModule(curriculum=ADD2, window=64, **_model(32)).check_window()


def test_windows_need_the_model_side():
    """Without the model's tokenizer, encoding and block size handed over, the window cannot be sized: said so."""
    with pytest.raises(TypeError, match="needs the model's tokenizer, encoding and block_size"):
        MathDataModule(curriculum=ADD2, window=11).check_window()


def test_the_curriculum_has_no_default():
    """No curriculum file is implied: a data module without one is refused at once, naming the argument."""
    with pytest.raises(TypeError, match="curriculum"):
        MathDataModule()
