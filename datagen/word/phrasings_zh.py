"""Arithmetic asked in Chinese words: the bare operations as people and textbooks ask them.

`12 减去 5 等于多少？`, `求 3.6 与 1.2 的积。`, `一个数的 4 倍是 96，这个数是多少？` — the phrasings of Chinese
primary-school 文字题 (和、差、积、商、几倍、比……多/少), over integers, decimals, negatives, fractions and
percents, and combinations of two to three operations (`a 与 b 的和乘 c`). Each is a `Template` with topic
"arithmetic_in_words" (see `templates.py`); `allow_negative=True` where a negative operand or result is the
point. A negative number is written either with its sign in brackets, `(-5)`, as Chinese textbooks print it, or
in words (`负五`, via `{b:zh}`). Divisions are built to come out exactly: the dividend is a derived product.
"""

from __future__ import annotations

from .templates import Num, Template

__all__ = ["PHRASINGS"]

_TOPIC = "arithmetic_in_words"


def _p(name: str, expression: str, texts: tuple[str, ...], nums: dict[str, Num], *,
       derived: dict[str, str] | None = None, conditions: tuple[str, ...] = (),
       allow_negative: bool = False, round_decimals: int | None = None) -> Template:
    return Template(
        id=f"zh.{_TOPIC}.{name}", lang="zh", topic=_TOPIC, nums=nums, expression=expression, texts=texts,
        derived=dict(derived or {}), conditions=conditions, allow_negative=allow_negative,
        round_decimals=round_decimals,
    )


def _dec(lo: str, hi: str, step: str) -> Num:
    return Num(lo, hi, step, "decimal")


_INT = Num(2, 999)
_SMALL = Num(2, 99)
_DEC = _dec("0.1", "99.9", "0.1")
_NEG = Num(-99, -1)

PHRASINGS: tuple[Template, ...] = (
    # --- addition --------------------------------------------------------------------------------------------
    _p("add_equals", "{a}+{b}", (
        "{a}加{b}等于多少？", "{a}加上{b}得多少？", "计算：{a}加{b}的结果是多少？",
    ), {"a": _INT, "b": _INT}),
    _p("add_sum", "{a}+{b}", (
        "{a}与{b}的和是多少？", "求{a}与{b}的和。", "{a}和{b}相加，和是多少？",
    ), {"a": _DEC, "b": _DEC}),
    _p("add_more_than", "{a}+{b}", (
        "比{a}多{b}的数是多少？", "一个数比{a}多{b}，这个数是多少？",
    ), {"a": _INT, "b": _SMALL}),
    _p("add_negative", "{a}+{b}", (
        "{a}加上({b})等于多少？", "{a}与({b})的和是多少？", "{a:zh}加{b:zh}等于多少？",
    ), {"a": Num(-99, 99), "b": _NEG}, allow_negative=True),
    _p("add_unknown_minuend", "{a}+{b}", (
        "一个数减去{b}等于{a}，这个数是多少？", "什么数减去{b}得{a}？",
    ), {"a": _DEC, "b": _DEC}),
    # --- subtraction -----------------------------------------------------------------------------------------
    _p("sub_equals", "{a}-{b}", (
        "{a}减去{b}等于多少？", "{a}减{b}得多少？", "从{a}里减去{b}，还剩多少？",
    ), {"a": _INT, "b": _INT}, conditions=("{a} > {b}",)),
    _p("sub_difference", "{a}-{b}", (
        "{a}与{b}的差是多少？", "求{a}减去{b}的差。", "{a}减{b}的差是多少？",
    ), {"a": _DEC, "b": _DEC}, conditions=("{a} > {b}",)),
    _p("sub_how_much_more", "{a}-{b}", (
        "{a}比{b}多多少？", "{b}比{a}少多少？",
    ), {"a": _INT, "b": _INT}, conditions=("{a} > {b}",)),
    _p("sub_less_than", "{a}-{b}", (
        "比{a}少{b}的数是多少？", "一个数比{a}少{b}，这个数是多少？",
    ), {"a": _DEC, "b": _DEC}, conditions=("{a} > {b}",)),
    _p("sub_signed", "{a}-{b}", (
        "{a}减去{b}等于多少？", "{a}与{b}的差是多少？", "{a:zh}减{b:zh}等于多少？",
    ), {"a": Num(-99, 99), "b": Num(1, 99)}, allow_negative=True),
    _p("sub_negative_subtrahend", "{a}-{b}", (
        "{a}减去({b})等于多少？", "{a}与({b})的差是多少？",
    ), {"a": _dec("-50", "50", "0.5"), "b": _NEG}, allow_negative=True),
    _p("sub_unknown_addend", "{a}-{b}", (
        "一个数加上{b}等于{a}，这个数是多少？", "{b}加上几等于{a}？",
    ), {"a": _INT, "b": _INT}, conditions=("{a} > {b}",)),
    # --- multiplication --------------------------------------------------------------------------------------
    _p("mul_equals", "{a}*{b}", (
        "{a}乘{b}等于多少？", "{a}乘以{b}得多少？", "{a}和{b}相乘，结果是多少？",
    ), {"a": _INT, "b": _SMALL}),
    _p("mul_product", "{a}*{b}", (
        "{a}与{b}的积是多少？", "求{a}与{b}的乘积。",
    ), {"a": _DEC, "b": _dec("0.1", "9.9", "0.1")}),
    _p("mul_times", "{a}*{b}", (
        "{a}的{b}倍是多少？", "一个数是{a}的{b}倍，这个数是多少？", "{b}个{a}相加，和是多少？",
    ), {"a": _INT, "b": Num(2, 19)}),
    _p("mul_negative", "{a}*{b}", (
        "{a}乘({b})等于多少？", "{a}与({b})的积是多少？", "{a:zh}乘{b:zh}得多少？",
    ), {"a": Num(-30, 30), "b": Num(-30, -1)}, allow_negative=True),
    _p("mul_fraction_of", "{a}*{f}", (
        "{a}的{f}是多少？", "求{a}的{f:zh}是多少。",
    ), {"a": Num(12, 600, 12), "f": Num(2, 12, 1, "fraction")}),
    _p("mul_percent_of", "{a}*{p}", (
        "{a}的{p}是多少？", "求{a}的{p:zh}是多少。",
    ), {"a": Num(20, 2000, 20), "p": Num(5, 95, 5, "percent")}),
    # --- division --------------------------------------------------------------------------------------------
    _p("div_equals", "{a}/{b}", (
        "{a}除以{b}等于多少？", "{a}除以{b}得多少？", "把{a}平均分成{b}份，每份是多少？",
    ), {"b": Num(2, 99), "q": Num(2, 99)}, derived={"a": "{b}*{q}"}),
    _p("div_quotient", "{a}/{b}", (
        "{a}除以{b}的商是多少？", "用{b}去除{a}，商是多少？", "被除数是{a}，除数是{b}，商是多少？",
    ), {"b": _dec("0.2", "9.8", "0.2"), "q": _dec("0.5", "50", "0.5")}, derived={"a": "{b}*{q}"}),
    _p("div_how_many_times", "{a}/{b}", (
        "{a}是{b}的多少倍？", "{a}里面有几个{b}？",
    ), {"b": Num(2, 50), "q": Num(2, 30)}, derived={"a": "{b}*{q}"}),
    _p("div_unknown_factor", "{a}/{b}", (
        "一个数的{b}倍是{a}，这个数是多少？", "一个数乘{b}等于{a}，这个数是多少？", "什么数乘{b}得{a}？",
    ), {"b": Num(2, 30), "q": _dec("0.5", "99.5", "0.5")}, derived={"a": "{b}*{q}"}),
    _p("div_negative", "{a}/{b}", (
        "({a})除以{b}等于多少？", "{a:zh}除以{b:zh}得多少？",
    ), {"b": Num(2, 20), "q": Num(-50, -1)}, derived={"a": "{b}*{q}"}, allow_negative=True),
    _p("div_to_decimal", "{a}/{b}", (
        "{a}除以{b}等于多少（得数保留两位小数）？", "{a}除以{b}的商约是多少（保留两位小数）？",
    ), {"a": Num(1, 999), "b": Num(3, 99)}, round_decimals=2),
    _p("div_whole_from_fraction", "{a}/{f}", (
        "一个数的{f}是{a}，这个数是多少？", "已知一个数的{f:zh}是{a}，求这个数。",
    ), {"x": Num(12, 600, 12), "f": Num(2, 12, 1, "fraction")}, derived={"a": "{x}*{f}"}),
    # --- two and three operations ----------------------------------------------------------------------------
    _p("sum_times", "({a}+{b})*{c}", (
        "{a}与{b}的和乘{c}，积是多少？", "{a}加{b}的和，再乘{c}，得多少？", "用{a}与{b}的和乘{c}，结果是多少？",
    ), {"a": _SMALL, "b": _SMALL, "c": Num(2, 30)}),
    _p("plus_product", "{a}+{b}*{c}", (
        "{a}加上{b}与{c}的积，和是多少？", "{b}乘{c}的积再加上{a}，得多少？",
    ), {"a": _INT, "b": _SMALL, "c": Num(2, 30)}),
    _p("minus_quotient", "{a}-{b}/{c}", (
        "{a}减去{b}除以{c}的商，差是多少？", "从{a}里减去{b}除以{c}的商，结果是多少？",
    ), {"a": _INT, "c": Num(2, 20), "q": Num(2, 50)}, derived={"b": "{c}*{q}"}),
    _p("difference_divided", "({a}-{b})/{c}", (
        "{a}与{b}的差除以{c}，商是多少？", "{a}减{b}的差，再除以{c}，得多少？",
    ), {"b": _INT, "c": Num(2, 20), "q": Num(2, 50)}, derived={"a": "{b}+{c}*{q}"}),
    _p("times_more_than", "{a}*{b}-{c}", (
        "{a}的{b}倍比{c}多多少？", "{c}比{a}的{b}倍少多少？",
    ), {"a": _SMALL, "b": Num(2, 12), "c": _INT}, conditions=("{a}*{b} > {c}",)),
    _p("sum_over_difference", "({a}+{b})/({a}-{b})", (
        "{a}与{b}的和除以它们的差，商是多少？", "用{a}与{b}的差去除它们的和，商是多少？",
    ), {"b": Num(2, 60), "d": Num(1, 20)}, derived={"a": "{b}+{d}"}),
    _p("sum_times_difference", "({a}+{b})*({c}-{d})", (
        "{a}加{b}的和乘{c}减{d}的差，积是多少？", "{a}与{b}的和，乘{c}与{d}的差，结果是多少？",
    ), {"a": _SMALL, "b": _SMALL, "c": _SMALL, "d": _SMALL}, conditions=("{c} > {d}",)),
    _p("subtract_twice", "{a}-{b}-{c}", (
        "从{a}里连续减去{b}和{c}，还剩多少？", "{a}减去{b}，再减去{c}，得多少？",
    ), {"a": _DEC, "b": _dec("0.1", "30", "0.1"), "c": _dec("0.1", "30", "0.1")}, allow_negative=True),
    _p("product_of_sums", "({a}+{b})*({c}+{d})", (
        "{a}与{b}的和乘{c}与{d}的和，积是多少？", "先求{a}加{b}的和，再求{c}加{d}的和，两个和相乘得多少？",
    ), {"a": _SMALL, "b": _SMALL, "c": _SMALL, "d": _SMALL}),
    _p("average_of_three", "({a}+{b}+{c})/3", (
        "{a}、{b}、{c}这三个数的平均数是多少？", "求{a}、{b}和{c}的平均数。",
    ), {"a": _INT, "b": _INT, "c": _INT}, conditions=("3 | {a}+{b}+{c}",)),
    _p("signed_mixed", "{a}*{b}+{c}", (
        "{a}乘({b})，再加上{c}，结果是多少？", "({b})与{a}的积加上{c}，和是多少？",
    ), {"a": Num(2, 30), "b": Num(-20, -1), "c": Num(1, 99)}, allow_negative=True),
    _p("quotient_plus_product", "{a}/{b}+{c}*{d}", (
        "{a}除以{b}的商加上{c}与{d}的积，和是多少？", "{c}乘{d}的积加上{a}除以{b}的商，得多少？",
    ), {"b": Num(2, 20), "q": Num(2, 50), "c": _SMALL, "d": Num(2, 20)}, derived={"a": "{b}*{q}"}),
    _p("decimal_three_steps", "({a}-{b})*{c}+{d}", (
        "{a}减去{b}的差乘{c}，再加上{d}，得多少？", "先用{a}减{b}，把差乘{c}，最后加上{d}，结果是多少？",
    ), {"a": _DEC, "b": _DEC, "c": _dec("1.5", "9.5", "0.5"), "d": _dec("0.1", "9.9", "0.1")},
        conditions=("{a} > {b}",)),
)
