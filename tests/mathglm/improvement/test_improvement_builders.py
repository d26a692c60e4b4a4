"""The builders on planted chains give exactly the expected examples; the correction marker has every property
it is documented to have; every built example encodes to the tokens `encode_problem` would give."""

import json
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import datagen
from datagen.strategies import problems
from datagen.word import LANGUAGES, writable_text
from mathglm.data.datamodule import encode_problem, pack_batch
from mathglm.improvement.builders import (
    PreferencePair,
    SupervisedExample,
    completion_text,
    correction_examples,
    encode_example,
    encode_supervised,
    exact_rest,
    preference_pairs,
    rft_examples,
)
from mathglm.inference.solver import Candidate
from mathglm.model.encoding import (
    CORRECTION_MARKER,
    TraceEncoding,
    parse_completion,
    resolve_corrections,
    reverse_digit_runs,
)
from mathglm.model.gpt import IGNORE_INDEX
from mathglm.model.tokenizer import LINE_BREAK, load_tokenizer

MUL = datagen.trace_expression("37*3066")  # 37*3066=3066*30+3066*7=91980+21462=113442
DIV = datagen.trace_expression("3468*4046/7424")  # ...=14031528/7424=1753941/928≈1890.02
DATA_DIR = Path(__file__).resolve().parents[4] / "shared" / "data"


def checked(problem, completion, finished=True):
    return Candidate.checked(problem.question, parse_completion(completion, finished))


# ----------------------------------------------------------------------------------------- the marker


def test_marker_is_one_token_in_every_context():
    tokenizer = load_tokenizer(None)
    marker_id = tokenizer.encode(CORRECTION_MARKER)
    assert len(marker_id) == 1
    for text in ("91980+2146@91980", "1890.03@≈1890.02", "=@=", "7)@(", "x@y", "@@"):
        ids = tokenizer.encode(text)
        assert ids.count(marker_id[0]) == text.count(CORRECTION_MARKER)
        assert tokenizer.decode(ids) == text


def test_marker_never_in_questions_or_chains_and_survives_digit_reversal():
    assert CORRECTION_MARKER != LINE_BREAK
    assert reverse_digit_runs(f"12{CORRECTION_MARKER}34") == f"21{CORRECTION_MARKER}43"
    with pytest.raises(datagen.ExpressionError):
        datagen.parse(f"1{CORRECTION_MARKER}2")
    for problem in datagen.sample_problems(0, stage="full", split="train"):
        assert CORRECTION_MARKER not in problem.trace
        break
    for lang in LANGUAGES:
        assert not any(CORRECTION_MARKER in text for text in writable_text(lang))


@pytest.mark.skipif(not DATA_DIR.is_dir(), reason="real sets not present")
def test_marker_absent_from_real_word_problem_sets():
    for path in DATA_DIR.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            assert CORRECTION_MARKER not in "".join(str(v) for v in json.loads(line).values()), path


# ------------------------------------------------------------------------------------ resolve_corrections


@pytest.mark.parametrize("text, resolved", [
    ("3066*30+3066*7=91980+2146@91980+21462=113442", "3066*30+3066*7=91980+21462=113442"),
    ("1753941/928≈1890.03@≈1890.02", "1753941/928≈1890.02"),
    ("3066*31@3066*30+3066*7=91980+21462=113442", "3066*30+3066*7=91980+21462=113442"),
    ("91980+21462=113442=113443@", "91980+21462=113442"),
    ("a=b@c=d@e", "a=c=e"),
    ("@x", "x"),
    ("no marker=at all", "no marker=at all"),
])
def test_resolve_corrections(text, resolved):
    assert resolve_corrections(text) == resolved


# ---------------------------------------------------------------------------------------------- RFT


def test_rft_keeps_distinct_correct_chains_in_order():
    good = "3066*30+3066*7=91980+21462=113442"
    other = "37*3000+37*66=111000+2442=113442"  # a different correct path
    candidates = [checked(MUL, c) for c in (good, "3066*30+3066*7=91980+2146=94126", good, other,
                                              "3066*30+3066*7=91980+21462=0113442", good[:20])]
    candidates[-1] = checked(MUL, good, finished=False)  # right steps, but cut off: not correct
    assert rft_examples(MUL, candidates) == [SupervisedExample("37*3066", good, "rft"),
                                             SupervisedExample("37*3066", other, "rft")]


def test_rft_rounded_answer_and_nothing_when_all_wrong():
    good = completion_text(DIV.chain, True)
    assert rft_examples(DIV, [checked(DIV, good)]) == [SupervisedExample(DIV.question, good, "rft")]
    assert rft_examples(DIV, [checked(DIV, good.replace("1890.02", "1890.03"))]) == []


# --------------------------------------------------------------------------------------- corrections


def test_correction_at_a_middle_step_continues_the_generators_path():
    wrong = checked(MUL, "3066*30+3066*7=91980+2146=94126")
    assert wrong.first_wrong_step == 1
    [example] = correction_examples(MUL, [wrong, wrong])  # duplicates give one example
    assert example == SupervisedExample("37*3066", "3066*30+3066*7=91980+2146@91980+21462=113442", "correction",
                                        scored_from=len("3066*30+3066*7=91980+2146"))


def test_correction_of_the_first_step_continues_from_the_question():
    [example] = correction_examples(MUL, [checked(MUL, "3066*31=5")])
    assert example.completion == "3066*31@3066*30+3066*7=91980+21462=113442"


def test_correction_of_the_rounded_answer_and_of_a_step_after_the_answer():
    wrong = completion_text(DIV.chain, True).replace("1890.02", "1890.03")
    [example] = correction_examples(DIV, [checked(DIV, wrong)])
    assert example.completion == wrong + "@≈1890.02"
    [example] = correction_examples(MUL, [checked(MUL, "3066*30+3066*7=91980+21462=113442=113443")])
    assert example.completion == "3066*30+3066*7=91980+21462=113442=113443@"


def test_correction_off_the_generators_path_uses_the_exact_trace():
    wrong = checked(MUL, "37*3000+37*66=111000+2442=113443")
    [example] = correction_examples(MUL, [wrong])
    rest = completion_text(datagen.trace_expression("111000+2442").chain, False)
    assert example.completion == f"37*3000+37*66=111000+2442=113443@{rest}"


def test_no_correction_for_correct_empty_or_cut_off_chains():
    truncated = checked(MUL, "3066*30+3066*7=91980+21462=1134", finished=False)  # wrong only where it was cut
    assert truncated.first_wrong_step == 2
    assert correction_examples(MUL, [checked(MUL, "3066*30+3066*7=91980+21462=113442"), checked(MUL, ""),
                                     truncated]) == []


@settings(max_examples=60)
@given(problems("full"), st.integers(0, 10**6), st.integers(1, 9))
def test_every_correction_resolves_to_a_correct_chain(problem, position, delta):
    """Plant one wrong step anywhere in a generator chain: the correction names it and resolves exactly."""
    segments = list(problem.chain)
    index = position % len(segments)
    digits = [i for i, c in enumerate(segments[index]) if c.isdigit()]
    assume(digits)
    at = digits[position % len(digits)]
    segments[index] = segments[index][:at] + str((int(segments[index][at]) + delta) % 10) + segments[index][at + 1:]
    candidate = checked(problem, completion_text(segments, problem.approx))
    assume(candidate.first_wrong_step is not None)  # a change that keeps the value is no mistake
    examples = correction_examples(problem, [candidate])
    assert len(examples) == 1
    for example in examples:
        resolved = parse_completion(resolve_corrections(example.completion))
        assert resolved.segments[-1] == problem.answer and resolved.approx == problem.approx
        assert datagen.first_error(problem.question, resolved.check_segments()) is None


# --------------------------------------------------------------------------------------- preferences


def test_preference_pairs_share_prompts_and_prefixes():
    good = "3066*30+3066*7=91980+21462=113442"
    candidates = [checked(MUL, c) for c in (good, "3066*30+3066*7=91980+2146=94126", "3066*31=5")]
    candidates.append(checked(MUL, "3066*30+3066*7=91980+21462=1134", finished=False))  # cut off while right
    candidates.append(checked(MUL, "3066*30+3066*7=9=1", finished=False))  # cut off after a wrong step
    assert preference_pairs(MUL, candidates) == [
        PreferencePair("37*3066", "", good, "3066*30+3066*7=91980+2146=94126", "chain"),
        PreferencePair("37*3066", "3066*30+3066*7", "=91980+21462=113442", "=91980+2146=94126", "step"),
        PreferencePair("37*3066", "", good, "3066*31=5", "chain"),
        PreferencePair("37*3066", "", good, "3066*30+3066*7=91980+21462=1134", "chain", False),
        PreferencePair("37*3066", "", good, "3066*30+3066*7=9=1", "chain", False),
        PreferencePair("37*3066", "3066*30+3066*7", "=91980+21462=113442", "=9=1", "step", False),
    ]


def test_preference_chosen_is_the_generators_chain_when_none_was_correct():
    wrong = completion_text(DIV.chain, True).replace("1890.02", "1890.03")
    pairs = preference_pairs(DIV, [checked(DIV, wrong)])
    prefix = completion_text(DIV.chain[:-1], False)
    assert pairs == [PreferencePair(DIV.question, "", completion_text(DIV.chain, True), wrong, "chain"),
                     PreferencePair(DIV.question, prefix, "≈1890.02", "≈1890.03", "step")]
    assert preference_pairs(DIV, [checked(DIV, wrong)], chain_pairs=False) == pairs[1:]
    assert preference_pairs(DIV, [checked(DIV, wrong)], step_pairs=False) == pairs[:1]


def test_exact_rest_refuses_a_segment_that_is_not_correct():
    assert exact_rest(MUL, "91980+21462") == ("113442",)
    with pytest.raises(ValueError, match="does not trace"):
        exact_rest(MUL, "91980+2146")


# ---------------------------------------------------------------------------------------------- encoding


@pytest.mark.parametrize("encoding", [TraceEncoding(), TraceEncoding(False), TraceEncoding(True, True)])
def test_encode_example_matches_encode_problem(encoding):
    tokenizer = load_tokenizer(None)
    for problem in (MUL, DIV):
        example = SupervisedExample(problem.question, completion_text(problem.chain, problem.approx), "fresh")
        assert encode_example(example.question, "", example.completion, tokenizer, encoding) == encode_problem(
            problem, tokenizer, encoding)
    prefix = completion_text(DIV.chain[:-1], False)
    prompt, completion = encode_example(DIV.question, prefix, "≈1890.02", tokenizer, encoding)
    assert prompt + completion == sum(encode_problem(DIV, tokenizer, encoding), [])
    assert encoding.decode_completion(tokenizer.decode(completion)) == "≈1890.02"
    assert completion[-1] == tokenizer.eos_id and len(completion) == len(tokenizer.encode("≈1890.02")) + 1


@pytest.mark.parametrize("encoding", [TraceEncoding(), TraceEncoding(True, True)])
def test_a_corrections_wrong_steps_are_context_not_targets(encoding):
    """Only the marker and the exact continuation are scored, unless the round scores the wrong steps too; packed
    into a window, the scored tokens are exactly those."""
    tokenizer = load_tokenizer(None)
    [example] = correction_examples(MUL, [checked(MUL, "3066*30+3066*7=91980+2146=94126")])
    wrong, scored = example.completion[:example.scored_from], example.completion[example.scored_from:]
    assert wrong == "3066*30+3066*7=91980+2146" and scored.startswith(CORRECTION_MARKER)
    prompt, target = encode_supervised(example, tokenizer, encoding)
    assert (prompt, target) == encode_example(MUL.question, wrong, scored, tokenizer, encoding)
    assert tokenizer.decode(target[:1]) == CORRECTION_MARKER
    assert encode_supervised(example, tokenizer, encoding, score_wrong_steps=True) == encode_example(
        MUL.question, "", example.completion, tokenizer, encoding)
    fresh = SupervisedExample(MUL.question, completion_text(MUL.chain, False), "fresh")
    assert encode_supervised(fresh, tokenizer, encoding) == encode_problem(MUL, tokenizer, encoding)
    batch = pack_batch(lambda: example, 1, len(prompt) + len(target), tokenizer, encoding,
                       lambda ex: encode_supervised(ex, tokenizer, encoding))
    counted = batch["targets"][batch["targets"] != IGNORE_INDEX].tolist()
    assert counted == target


def test_encode_example_without_eos_for_a_cut_off_chain():
    tokenizer, encoding = load_tokenizer(None), TraceEncoding()
    with_eos = encode_example("2+3", "", "5=5", tokenizer, encoding)
    assert encode_example("2+3", "", "5=5", tokenizer, encoding, eos=False) == (with_eos[0], with_eos[1][:-1])


def test_encode_example_refuses_a_prefix_inside_a_number():
    with pytest.raises(ValueError, match="token boundary"):
        encode_example("37*3066", "3066*30+30", "66*7=91980+21462=113442", load_tokenizer(None), TraceEncoding())
