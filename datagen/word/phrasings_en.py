"""Arithmetic asked in English words: the bare operations phrased as people ask them ("the product of 12 and 7",
"subtract 5 from 12", "what is seven times eight?"), with integers, decimals, negatives, percents and fractions,
and multi-step chains ("the sum of 3 and 4, times 5"). Topic "arithmetic_in_words"; see templates.py for the
template syntax. A negative operand is shown as `-3` in the text, as people write it.
"""

from __future__ import annotations

from .templates import Num, Template


def _p(name: str, expression: str, texts, nums: dict, **kw) -> Template:
    return Template(
        id=f"en.arithmetic_in_words.{name}", lang="en", topic="arithmetic_in_words", nums=nums,
        expression=expression, texts=(texts,) if isinstance(texts, str) else tuple(texts), **kw,
    )


_INT = Num(2, 999)
_SMALL = Num(2, 20)
_SIGNED = Num(-99, 99)
_DEC = Num("0.1", "99.9", "0.1", kind="decimal")
_CENT = Num("0.01", "9.99", "0.01", kind="decimal")
_SIGNED_DEC = Num("-50", "50", "0.5", kind="decimal")

PHRASINGS: tuple[Template, ...] = (
    # --- addition -------------------------------------------------------------------------------------------
    _p("sum", "{a}+{b}", (
        "What is {a} plus {b}?", "What is the sum of {a} and {b}?", "Add {a} and {b}.",
        "What do you get if you add {b} to {a}?", "Find the total of {a} and {b}.",
    ), {"a": _INT, "b": _INT}),
    _p("sum_words", "{a}+{b}", ("What is {a:words} plus {b:words}?", "Add {a:words} and {b:words}."),
        {"a": _SMALL, "b": _SMALL}),
    _p("sum_decimal", "{a}+{b}", (
        "What is {a} plus {b}?", "Add {a} to {b}.", "What is the sum of {a} and {b}?",
    ), {"a": _DEC, "b": _CENT}),
    _p("sum_signed", "{a}+{b}", ("What is {a} plus {b}?", "What is the sum of {a} and {b}?"),
        {"a": _SIGNED, "b": _SIGNED}, allow_negative=True),
    _p("increase_by", "{a}+{b}", ("Increase {a} by {b}.", "What is {b} more than {a}?"), {"a": _INT, "b": _INT}),
    _p("sum_of_three", "{a}+{b}+{c}", ("What is the sum of {a}, {b} and {c}?", "Add up {a}, {b} and {c}."),
        {"a": _INT, "b": _INT, "c": _INT}),
    # --- subtraction ----------------------------------------------------------------------------------------
    _p("difference", "{a}-{b}", (
        "What is {a} minus {b}?", "Subtract {b} from {a}.", "What is {a} take away {b}?",
        "How much is left if you take {b} away from {a}?", "What is the difference between {a} and {b}?",
    ), {"a": _INT, "b": _INT}, conditions=("{a} > {b}",)),
    _p("difference_negative", "{a}-{b}", ("What is {a} minus {b}?", "Subtract {b} from {a}."),
        {"a": _INT, "b": _INT}, conditions=("{a} < {b}",), allow_negative=True),
    _p("difference_signed", "{a}-{b}", ("What is {a} minus {b}?", "What do you get when you subtract {b} from {a}?"),
        {"a": _SIGNED, "b": _SIGNED}, allow_negative=True),
    _p("difference_decimal", "{a}-{b}", ("What is {a} minus {b}?", "Take {b} away from {a}."),
        {"a": _DEC, "b": _CENT}, conditions=("{a} > {b}",)),
    _p("less_than", "{a}-{b}", ("What number is {b} less than {a}?", "Decrease {a} by {b}."),
        {"a": _INT, "b": _INT}, conditions=("{a} > {b}",)),
    _p("how_much_more", "{a}-{b}", ("How much more than {b} is {a}?", "By how much does {a} exceed {b}?"),
        {"a": _INT, "b": _INT}, conditions=("{a} > {b}",)),
    # --- multiplication -------------------------------------------------------------------------------------
    _p("product", "{a}*{b}", (
        "What is {a} times {b}?", "What is the product of {a} and {b}?", "Multiply {a} by {b}.",
        "What do you get when you multiply {a} by {b}?", "Find {a} multiplied by {b}.",
    ), {"a": _INT, "b": Num(2, 99)}),
    _p("product_words", "{a}*{b}", ("What is {a:words} times {b:words}?", "Multiply {a:words} by {b:words}."),
        {"a": _SMALL, "b": _SMALL}),
    _p("product_signed", "{a}*{b}", ("What is {a} times {b}?", "What is the product of {a} and {b}?"),
        {"a": _SIGNED, "b": Num(-12, 12)}, conditions=("{b} != 0",), allow_negative=True),
    _p("product_decimal", "{a}*{b}", ("What is {a} times {b}?", "Multiply {a} by {b}."),
        {"a": _DEC, "b": Num("0.1", "9.9", "0.1", kind="decimal")}),
    _p("double", "2*{a}", ("What is double {a}?", "What is twice {a}?"), {"a": _INT}),
    _p("triple", "3*{a}", ("What is three times {a}?", "Triple {a}."), {"a": _INT}),
    _p("squared", "{a}^2", ("What is {a} squared?", "What is the square of {a}?"), {"a": Num(2, 99)}),
    _p("cubed", "{a}^3", ("What is {a} cubed?", "What is the cube of {a}?"), {"a": Num(2, 20)}),
    # --- division -------------------------------------------------------------------------------------------
    _p("quotient", "{a}/{b}", (
        "What is {a} divided by {b}?", "Divide {a} by {b}.", "What is the quotient of {a} and {b}?",
        "How many times does {b} go into {a}?",
    ), {"b": Num(2, 30), "q": Num(2, 99)}, derived={"a": "{b}*{q}"}),
    _p("quotient_rounded", "{a}/{b}", (
        "What is {a} divided by {b}? Round to two decimal places if it does not come out exactly.",
        "Divide {a} by {b}, rounding to hundredths where needed.",
    ), {"a": _INT, "b": Num(3, 30)}, round_decimals=2),
    _p("quotient_signed", "{a}/{b}", ("What is {a} divided by {b}?", "Divide {a} by {b}."),
        {"b": Num(-12, 12), "q": Num(-40, 40)}, derived={"a": "{b}*{q}"}, conditions=("{b} != 0",),
        allow_negative=True),
    _p("quotient_decimal", "{a}/{b}", ("What is {a} divided by {b}?", "Divide {a} by {b}."),
        {"a": _DEC, "b": Num(2, 8)}, conditions=("{b} | {a}*100",)),
    _p("half", "{a}/2", ("What is half of {a}?", "What is {a} halved?"), {"a": _INT}),
    # --- percents and fractions -----------------------------------------------------------------------------
    _p("percent_of", "{r}*{a}", ("What is {r} of {a}?", "Find {r} of {a}.", "How much is {r} of {a}?"),
        {"r": Num(1, 99, kind="percent"), "a": Num(10, 900, 10)}),
    _p("fraction_of", "{f}*{a}", ("What is {f} of {a}?", "Find {f} of {a}."),
        {"f": Num(2, 12, kind="fraction"), "a": _INT}, answer_kind="integer"),
    # --- several steps --------------------------------------------------------------------------------------
    _p("sum_times", "({a}+{b})*{c}", (
        "What is the sum of {a} and {b}, times {c}?", "Add {a} and {b}, then multiply by {c}.",
        "Multiply the sum of {a} and {b} by {c}.",
    ), {"a": _INT, "b": _INT, "c": Num(2, 30)}),
    _p("difference_times", "({a}-{b})*{c}", (
        "Subtract {b} from {a} and multiply the result by {c}.", "What is {a} minus {b}, times {c}?",
    ), {"a": _INT, "b": _INT, "c": Num(2, 30)}, conditions=("{a} > {b}",)),
    _p("product_plus", "{a}*{b}+{c}", ("What is {a} times {b}, plus {c}?", "Multiply {a} by {b}, then add {c}."),
        {"a": Num(2, 99), "b": Num(2, 99), "c": _INT}),
    _p("product_minus", "{a}*{b}-{c}", ("Take the product of {a} and {b} and subtract {c}.",),
        {"a": Num(2, 99), "b": Num(2, 99), "c": _INT}, conditions=("{a}*{b} > {c}",)),
    _p("sum_divided", "({a}+{b}+{c})/{d}", ("Divide the sum of {a}, {b} and {c} by {d}.",
                                            "Add {a}, {b} and {c}, then divide by {d}."),
        {"a": _INT, "b": _INT, "c": _INT, "d": Num(2, 9)}, round_decimals=2),
    _p("average_of_three", "({a}+{b}+{c})/3", ("What is the average of {a}, {b} and {c}?",
                                               "Find the mean of {a}, {b} and {c}."),
        {"a": _INT, "b": _INT, "c": _INT}, round_decimals=2),
    _p("difference_times_sum", "({a}-{b})*({c}+{d})", (
        "Multiply the difference of {a} and {b} by the sum of {c} and {d}.",
    ), {"a": Num(2, 99), "b": Num(2, 99), "c": Num(2, 99), "d": Num(2, 99)}, allow_negative=True),
    _p("chain_of_four", "({a}+{b})*{c}-{d}", (
        "Start with {a}, add {b}, multiply by {c}, then subtract {d}. What do you get?",
    ), {"a": Num(2, 99), "b": Num(2, 99), "c": Num(2, 12), "d": _INT}, allow_negative=True),
    _p("signed_chain", "{a}*{b}+{c}", ("What is {a} times {b}, plus {c}?",),
        {"a": _SIGNED_DEC, "b": Num(-9, 9), "c": _SIGNED}, conditions=("{b} != 0",), allow_negative=True),
    _p("long_chain", "({a}+{b})*{c}-{d}/{e}+{f}", (
        "Add {a} and {b} and multiply by {c}; from that, subtract {d} divided by {e}, and then add {f}.",
    ), {"a": Num(2, 50), "b": Num(2, 50), "c": Num(2, 9), "e": Num(2, 9), "q": Num(2, 40), "f": Num(2, 99)},
        derived={"d": "{e}*{q}"}, allow_negative=True),
)
