"""The shipped tokenizer: exact round trips for any text, digits and operators always single tokens."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mathglm.data.tokenizer_training import train_tokenizer
from mathglm.model.tokenizer import DIGITS, SPACE_PIECE, SYMBOLS, load_tokenizer


@pytest.fixture(scope="module")
def tok():
    return load_tokenizer()


# Text near what the model sees: digits, operators, CJK, spaces and the SentencePiece space symbol itself.
MATHLIKE = st.text(alphabet=st.sampled_from(list(DIGITS + "".join(SYMBOLS) + " \t\n小明有个苹果元" + SPACE_PIECE)))


@given(text=st.text() | MATHLIKE)
@example(text="")
@example(text="  leading and trailing  ")
@example(text="a   b\t\tc\n\n\r\n")
@example(text="小明有12个苹果，吃了3.5个，还剩几个？")
@example(text="emoji 🧮🙂 and ZWJ 👩‍💻")
@example(text="\x00\x01\x1f\x7f control")
@example(text="full width １２３ and NFKC ﬁ Ⅻ e\u0301")
@example(text=SPACE_PIECE + " " + SPACE_PIECE * 2)
@example(text="\u3000\u00a0\u2028")
def test_round_trip(tok, text):
    ids = tok.encode(text)
    assert tok.decode(ids) == text
    assert tok.unk_id not in ids


@given(text=st.text(max_size=50))
def test_bos_eos_are_added_only_when_asked_and_skipped_on_decode(tok, text):
    plain = tok.encode(text)
    framed = tok.encode(text, bos=True, eos=True)
    assert framed == [tok.bos_id, *plain, tok.eos_id]
    assert tok.bos_id not in plain and tok.eos_id not in plain and tok.pad_id not in plain
    assert tok.decode([tok.pad_id, *framed, tok.pad_id]) == text


def test_special_ids(tok):
    assert len({tok.pad_id, tok.bos_id, tok.eos_id}) == 3
    assert all(0 <= i < tok.vocab_size for i in (tok.pad_id, tok.bos_id, tok.eos_id))


def test_ten_digit_number_is_ten_tokens(tok):
    number = "9876543210"
    ids = tok.encode(number)
    assert len(ids) == 10
    assert ids == [tok.piece_to_id(d) for d in number]


@given(number=st.integers(min_value=0, max_value=10**30), left=st.text(max_size=5), right=st.text(max_size=5))
def test_digits_are_single_tokens_in_any_context(tok, number, left, right):
    digits = str(number)
    ids = tok.encode(left + digits + right)
    digit_ids = [tok.piece_to_id(d) for d in digits]
    # The digits appear as a contiguous run of single-digit tokens, whatever surrounds them.
    n = len(digit_ids)
    assert any(ids[i : i + n] == digit_ids for i in range(len(ids) - n + 1))


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_every_operator_is_its_own_token(tok, symbol):
    (sid,) = tok.encode(symbol)
    assert tok.id_to_piece(sid) == symbol
    ids = tok.encode(f"12{symbol}{symbol}3{symbol}x")
    assert ids.count(sid) == 3


def test_trace_tokenization(tok):
    trace = "(12+3)*4-5/2=15*4-5/2=60-2.5=57.5"
    ids = tok.encode(trace)
    assert len(ids) == len(trace)  # every character of an arithmetic trace is one token
    assert [tok.id_to_piece(i) for i in ids] == list(trace)
    assert tok.encode("1/3≈0.33") == [tok.piece_to_id(c) for c in "1/3≈0.33"]


def _no_piece_mixes_digits_or_symbols(t):
    for i in range(t.vocab_size):
        if t.sp.is_byte(i) or t.sp.is_control(i):
            continue
        piece = t.id_to_piece(i)
        if len(piece) > 1:
            assert not any(c in DIGITS or c in SYMBOLS for c in piece), piece


def test_shipped_vocabulary_never_merges_digits_or_symbols(tok):
    _no_piece_mixes_digits_or_symbols(tok)


def test_training_on_text_keeps_numbers_split_and_is_reproducible(tmp_path):
    # Word-problem-like lines, as the text stage will add: merges happen in the words, never in numbers.
    lines = [
        f"小明有{i}个苹果，小红有{i * 7 % 13}个，一共有多少个？ {i}+{i * 7 % 13}={i + i * 7 % 13} apples{i}.5kg"
        for i in range(400)
    ]
    a = train_tokenizer(lines, tmp_path / "a.model", vocab_size=400)
    b = train_tokenizer(lines, tmp_path / "b.model", vocab_size=400)
    assert (tmp_path / "a.model").read_bytes() == (tmp_path / "b.model").read_bytes()
    assert a.vocab_size > 284  # something was learned from the words
    _no_piece_mixes_digits_or_symbols(a)
    assert a.encode("1234567890") == [a.piece_to_id(d) for d in "1234567890"]
    for line in lines[:20]:
        assert a.decode(a.encode(line)) == line
    del b


def test_decode_rejects_ids_outside_the_vocabulary(tok):
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tok.decode([tok.vocab_size])


@pytest.mark.parametrize("granularity", ["coarse", "decomposed"])
def test_datagen_traces_are_one_token_per_character(tok, granularity):
    import itertools

    import datagen

    for problem in itertools.islice(datagen.sample_problems(1, "full", "validation", granularity), 200):
        ids = tok.encode(problem.trace)
        assert [tok.id_to_piece(i) for i in ids] == list(problem.trace)


def _is_cjk(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf"


def test_shipped_vocabulary_holds_chinese_characters_alone_and_english_subwords(tok):
    pieces = [tok.id_to_piece(i) for i in range(tok.vocab_size)]
    cjk = [p for p in pieces if any(_is_cjk(c) for c in p)]
    assert len(cjk) > 2000, len(cjk)  # every character of the training sets (about 2,400)
    assert all(len(p) == 1 for p in cjk), [p for p in cjk if len(p) > 1][:5]
    english = [w for p in pieces if (w := p.lstrip(SPACE_PIECE)).isascii() and w.isalpha() and len(w) >= 3]
    assert len(english) > 300, len(english)  # words and word pieces were learned
    assert len(tok.encode("How many apples does she have left?")) <= 10


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_word_problems_round_trip_and_chinese_characters_are_one_token_each(tok, lang):
    import itertools

    from datagen.word import sample_word_problems

    byte_ids = {tok.piece_to_id(f"<0x{b:02X}>") for b in range(256)}
    for problem in itertools.islice(sample_word_problems(3, lang, split="validation"), 300):
        text = f"{problem.question}\n{problem.trace}"
        ids = tok.encode(text)
        assert tok.decode(ids) == text
        assert not byte_ids & set(ids), problem.question  # templated text is all in the vocabulary
        for c in problem.question:
            if _is_cjk(c):
                assert tok.encode(c) == [tok.piece_to_id(c)]
        # Numbers stay one token per digit inside the text as well.
        assert tok.encode(problem.trace) == [tok.piece_to_id(c) for c in problem.trace]
