"""Numbers in words, as templated questions may write them: English 0..99 (`forty-two`), Chinese numerals
(`十二`, `一百零五`, `三点五`, `负二`). A text field `{slot:words}` or `{slot:zh}` asks for them (see `templates`)."""

from __future__ import annotations

ZH_DIGITS = "零一二三四五六七八九"
_EN_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
).split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def english_words(n: int) -> str:
    """0..99 in English words (`forty-two`); other integers as digits."""
    if not 0 <= n <= 99:
        return str(n)
    if n < 20:
        return _EN_ONES[n]
    tens, ones = divmod(n, 10)
    return _EN_TENS[tens] + ("-" + _EN_ONES[ones] if ones else "")


def chinese_integer(n: int) -> str:
    """An integer in Chinese numerals, 0 <= |n| < 10**8 (`十二`, `一百零五`, `三万零二十`); others as digits."""
    if n < 0:
        return "负" + chinese_integer(-n)
    if n >= 10**8:
        return str(n)
    if n < 10:
        return ZH_DIGITS[n]

    def below_10000(m: int) -> str:
        out, zero = "", False
        for unit, power in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
            digit, m = divmod(m, power)
            if digit:
                if zero and out:
                    out += "零"
                out += ZH_DIGITS[digit] + unit
                zero = False
            else:
                zero = True
        return out

    high, low = divmod(n, 10000)
    if high:
        text = below_10000(high) + "万"
        if low:
            text += ("零" if low < 1000 else "") + below_10000(low)
    else:
        text = below_10000(low)
    return text[1:] if text.startswith("一十") else text  # 十二, not 一十二


def chinese_number(text: str) -> str:
    """A written number (`12`, `3.5`, `-2`) in Chinese numerals (`十二`, `三点五`, `负二`)."""
    sign = "负" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    out = sign + chinese_integer(int(whole))
    return out + ("点" + "".join(ZH_DIGITS[int(c)] for c in frac) if frac else "")

def numeral_text(lang: str) -> str:
    """Every character (zh) or word (en) the numerals of `lang` can write, as one line (for a tokenizer's corpus)."""
    return ("负点十百千万" + ZH_DIGITS) if lang == "zh" else " ".join(english_words(n) for n in range(100))
