"""Chinese word-problem templates: primary-school 应用题 in the style of Ape210K and Math23K.

Each template is a symbolic problem in the manner of GSM-Symbolic (Mirzadeh et al., 2024): number slots with
ranges, word slots drawn from `lexicon_zh.LEXICON`, conditions that keep every draw sensible (exact division,
whole counts, positive remainders, plausible magnitudes), one equation over the slots, and several text
variants. The texts are written as Chinese problems are written, not translated from the English templates:
Arabic digits, 元 and 千米/时, 打八折 written `打{zhe}折` or `打{zhe:zh}折` (八折 = 80%, hence `*{zhe}/10`), π taken
as 3.14 as Chinese textbooks do, fractions as `3/4` or `四分之三` (`{f:zh}`), ratios in lowest terms, and Chinese
punctuation (，。？：).

Exactness is arranged, not hoped for: where a division must come out whole, the dividend is a derived slot
(`total = per*groups`, then `total/groups`), so a draw rarely needs to be repeated; conditions remain for what a
derivation cannot express (a budget that must cover a purchase, an elder at least 20 years older than a child).
Quantities with a ceiling (折 below 10, scores up to 100, minutes below 60, 角 and 分 below 10) are derived as
`ceiling - drawn`, so that `WordConfig.number_scale`, which enlarges every integer slot's range, makes numbers
bigger without making them absurd (a larger draw that would cross zero is redrawn).

`TEMPLATES` holds them all; the topic is the middle part of each id (`zh.<topic>.<name>`).
"""

from __future__ import annotations

from .templates import Num, Template

__all__ = ["TEMPLATES"]


def _t(topic: str, name: str, expression: str, texts: tuple[str, ...] | list[str], nums: dict[str, Num], *,
       words: dict[str, str] | None = None, derived: dict[str, str] | None = None,
       conditions: tuple[str, ...] = (), round_decimals: int | None = None,
       clauses: tuple[int, int] | None = None, answer_kind: str = "number") -> Template:
    return Template(
        id=f"zh.{topic}.{name}", lang="zh", topic=topic, nums=nums, expression=expression, texts=tuple(texts),
        words=dict(words or {}), derived=dict(derived or {}), conditions=tuple(conditions),
        round_decimals=round_decimals, clauses=clauses, answer_kind=answer_kind,
    )


def _dec(lo: str, hi: str, step: str) -> Num:
    return Num(lo, hi, step, "decimal")


def _pct(lo, hi, step=1) -> Num:
    return Num(lo, hi, step, "percent")


def _frac(lo: int = 2, hi: int = 6) -> Num:
    return Num(lo, hi, 1, "fraction")


# Quantities with a natural ceiling (打几折 below 10, a score at most 100, minutes below 60) are derived as
# `ceiling - drawn`: `WordConfig.number_scale` multiplies the upper bound of every integer slot, and a drawn 折 or
# score would grow past its ceiling, while `10-{off}` stays below 10 (a draw that makes it <= 0 is redrawn). The
# slots stay integers, so these templates remain available to integer-only configs.
_ZHE = "10-{off}"
# A ratio a:b in lowest terms, as problems state it (2:3, 3:7, never 4:6): a = s and b = s*e+1 share no factor.
_RATIO = {"a": "{s}", "b": "{s}*{e}+1"}


_BUYING = [
    _t("buying", "change_from_bill", "{paid}-{n}*{price}", (
        "{name}带了{paid}元去{shop}买{book}，买了{n}本，每本{price}元，应找回多少元？",
        "{name}在{shop}买了{n}本{book}，每本{price}元。{name}付给售货员{paid}元，应找回多少元？",
        "一本{book}{price}元，{name}买了{n}本，付了{paid}元，售货员应找给{name}多少元？",
        "{name}付了{paid}元，买回{n}本{book}，每本{book}的价格是{price}元，应找回多少钱？",
    ), {"paid": Num(50, 100, 50), "n": Num(2, 6), "price": Num(4, 15)},
        words={"name": "names", "shop": "stationers", "book": "books"},
        conditions=("{paid} > {n}*{price}",)),
    _t("buying", "total_of_pens", "{n}*{price}", (
        "{name}买了{n}支{pen}，每支{price}元，一共要付多少元？",
        "{pen}每支{price}元，{teacher}给班里买了{n}支，一共花了多少元？",
        "{teacher}去文具店买{pen}，单价是{price}元，买了{n}支，共需多少元？",
    ), {"n": Num(2, 30), "price": _dec("0.5", "6", "0.5")},
        words={"name": "names", "teacher": "teachers", "pen": "pens"}),
    _t("buying", "two_fruits", "{a}*{p1}+{b}*{p2}", (
        "{shop}里的{f1}每千克{p1}元。{f2}每千克{p2}元。妈妈买了{a}千克{f1}和{b}千克{f2}，一共要付多少元？",
        "{f1}每千克{p1}元。{f2}每千克{p2}元。{adult}买了{a}千克{f1}、{b}千克{f2}，应付多少元？",
        "{f1}的单价是每千克{p1}元。{f2}的单价是每千克{p2}元。{adult}在{shop}称了{a}千克{f1}和{b}千克{f2}，共花了多少钱？",
    ), {"a": Num(1, 6), "b": Num(1, 6), "p1": _dec("2", "15", "0.5"), "p2": _dec("2", "15", "0.5")},
        words={"shop": "fruit_shops", "f1": "fruits", "f2": "fruits", "adult": "adults"}, clauses=(0, 2)),
    _t("buying", "money_left", "{m}-{a}-{b}", (
        "{name}有{m}元钱，买一本{note}用去{a}元，买一支{pen}用去{b}元，还剩多少元？",
        "{name}带了{m}元，先花{a}元买了一本{book}，又花{b}元买了一支{pen}，{name}还剩多少元？",
        "{name}原有{m}元，一本{note}{a}元，一支{pen}{b}元，各买一样后，{name}还有多少元？",
    ), {"m": Num(20, 100, 10), "a": _dec("2", "30", "0.5"), "b": _dec("1", "9", "0.5")},
        words={"name": "names", "book": "books", "note": "notebooks", "pen": "pens"},
        conditions=("{m} > {a}+{b}",)),
    _t("buying", "short_of_money", "{price}-{saved}", (
        "{name}想买一个{toy}，价钱是{price}元，{name}已经攒了{saved}元，还差多少元？",
        "一个{toy}标价{price}元，{name}只带了{saved}元，还差多少元才够？",
        "{toy}的售价是{price}元，{name}的储蓄罐里有{saved}元，要买这个{toy}，{name}还需要攒多少元？",
    ), {"price": Num(30, 200), "saved": Num(10, 150)},
        words={"name": "names", "toy": "toys"}, conditions=("{price} > {saved}",)),
    _t("buying", "suits", "({a}+{b})*{n}", (
        "一件{cloth}{a}元，一条裤子{b}元。学校给合唱队买了{n}套这样的衣服（一件{cloth}配一条裤子），一共要多少元？",
        "{shop}里一件{cloth}卖{a}元，一条裤子卖{b}元，{adult}买了{n}件{cloth}和{n}条裤子，一共付了多少元？",
        "合唱队要买{n}套演出服，每套包括一件{a}元的{cloth}和一条{b}元的裤子，买这些演出服共需多少元？",
    ), {"a": Num(40, 200), "b": Num(30, 150), "n": Num(2, 40)},
        words={"cloth": "clothes", "shop": "shops", "adult": "adults"}),
    _t("buying", "books_and_pens_change", "{paid}-{n1}*{p1}-{n2}*{p2}", (
        "{name}买了{n1}本{book}和{n2}支{pen}，{book}每本{p1}元，{pen}每支{p2}元。{name}付了{paid}元，应找回多少元？",
        "{book}每本{p1}元，{pen}每支{p2}元，{teacher}拿{paid}元买了{n1}本{book}、{n2}支{pen}，应找回多少元？",
        "{teacher}带了{paid}元，买了{n1}本单价{p1}元的{book}和{n2}支单价{p2}元的{pen}，还剩多少元？",
    ), {"paid": Num(50, 200, 50), "n1": Num(2, 8), "p1": _dec("3", "20", "0.5"), "n2": Num(2, 10),
        "p2": _dec("0.5", "5", "0.5")},
        words={"name": "names", "teacher": "teachers", "book": "books", "pen": "pens"},
        conditions=("{paid} > {n1}*{p1}+{n2}*{p2}",)),
    _t("buying", "bought_with_exact_money", "{m}/{price}", (
        "{teacher}用{m}元买了一些{pen}，每支{price}元，一共买了多少支？",
        "{pen}每支{price}元，{name}用{m}元正好买了几支？",
        "一支{pen}的价钱是{price}元，{m}元钱能买这样的{pen}多少支？",
    ), {"price": _dec("0.5", "8", "0.5"), "k": Num(2, 30)},
        words={"teacher": "teachers", "name": "names", "pen": "pens"},
        derived={"m": "{price}*{k}"}, answer_kind="integer"),
    _t("buying", "deposit_and_price", "{price}*{n}+{deposit}", (
        "{name}一家去公园划船，每小时租金{price}元，另交押金{deposit}元。划了{n}小时，一共要先付多少元？",
        "租一条小船每小时{price}元，还要交押金{deposit}元。{adult}租了{n}小时，一共交了多少元？",
        "公园的小船押金{deposit}元，租金按小时计算，每小时{price}元。{name}一家租船{n}小时，租船前共需交多少元？",
    ), {"price": Num(10, 40, 5), "n": Num(1, 4), "deposit": Num(20, 100, 10)},
        words={"name": "names", "adult": "adults"}),
]

_UNIT_PRICE = [
    _t("unit_price", "per_kilogram", "{total}/{n}", (
        "{n}千克{fruit}共{total}元，每千克多少元？",
        "妈妈买了{n}千克{fruit}，一共花了{total}元，平均每千克{fruit}多少元？",
        "{fruit}{n}千克，总价{total}元，{fruit}的单价是多少元？",
    ), {"n": Num(2, 12), "per": _dec("1.5", "15", "0.5")},
        words={"fruit": "fruits"}, derived={"total": "{per}*{n}"}),
    _t("unit_price", "same_price_more", "{x}/{a}*{b}", (
        "买{a}支{pen}要{x}元，照这样计算，买{b}支同样的{pen}要多少元？",
        "{name}买{a}支{pen}花了{x}元，{name2}要买{b}支同样的{pen}，需要多少元？",
        "{a}支{pen}的价钱是{x}元，照这样的价钱，{b}支{pen}是多少元？",
    ), {"a": Num(2, 8), "b": Num(2, 20), "per": _dec("0.5", "6", "0.5")},
        words={"name": "names", "name2": "names", "pen": "pens"},
        derived={"x": "{per}*{a}"}, conditions=("{a} != {b}",)),
    _t("unit_price", "same_money_other_price", "{p1}*{n}/{p2}", (
        "用同样多的钱，原来每个{toy}{p1}元，可以买{n}个；现在每个{p2}元，可以买多少个？",
        "{teacher}带的钱正好可以买{n}个单价{p1}元的{toy}，如果买单价{p2}元的{toy}，可以买多少个？",
        "一笔钱买单价{p1}元的{toy}能买{n}个，用这笔钱改买单价{p2}元的{toy}，能买几个？",
    ), {"p1": Num(4, 30), "n": Num(4, 30), "p2": Num(4, 30)},
        words={"toy": "toys", "teacher": "teachers"},
        conditions=("{p1} != {p2}", "{p2} | {p1}*{n}")),
    _t("unit_price", "per_piece_in_box", "{p}/{k}", (
        "一盒{sweet}有{k}块，每盒卖{p}元，平均每块多少元？",
        "{shop}里{sweet}每盒{p}元，一盒{k}块，合每块多少元？",
        "{p}元可以买一盒{sweet}，每盒{k}块，算下来一块{sweet}要多少元？",
    ), {"k": Num(4, 24), "unit": _dec("0.1", "2", "0.1")},
        words={"sweet": "sweets", "shop": "shops"}, derived={"p": "{unit}*{k}"}),
    _t("unit_price", "price_by_grams", "{p}*{g}/1000", (
        "{fruit}每千克{p}元，{name}买了{g}克，要付多少元？",
        "{shop}的{fruit}卖{p}元一千克，妈妈称了{g}克，应付多少元？",
        "{name}在{shop}买了{g}克{fruit}，{fruit}的价格是每千克{p}元，应付多少钱？",
    ), {"p": Num(4, 40), "g": Num(200, 2500, 100)},
        words={"fruit": "fruits", "name": "names", "shop": "fruit_shops"}),
    _t("unit_price", "cost_per_day", "{t}/{a}*{b}", (
        "{name}家{a}天用电{t}千瓦时，照这样计算，{b}天用电多少千瓦时？",
        "一台{app}{a}天耗电{t}千瓦时，照这样计算，{b}天要耗电多少千瓦时？",
        "已知{name}家{a}天用电{t}千瓦时，照这样的用电量，{b}天一共用电多少千瓦时？",
    ), {"a": Num(2, 10), "b": Num(10, 31), "per": _dec("0.5", "12", "0.5")},
        words={"name": "names", "app": "appliances"}, derived={"t": "{per}*{a}"}),
    _t("unit_price", "cheaper_bulk", "{p1}-{p2}/{k}", (
        "{drink}单买每瓶{p1}元，整箱买每箱{k}瓶共{p2}元。整箱买平均每瓶便宜多少元？",
        "一瓶{drink}零售价{p1}元，一箱有{k}瓶，整箱卖{p2}元，整箱买每瓶比零买便宜多少元？",
        "一箱{drink}{k}瓶，售价{p2}元；单瓶买的话每瓶{p1}元。买一整箱，平均每瓶比单买少花多少元？",
    ), {"p1": _dec("2", "8", "0.5"), "k": Num(6, 24, 6), "unit": _dec("1", "7.5", "0.5")},
        words={"drink": "drinks"}, derived={"p2": "{unit}*{k}"}, conditions=("{p1} > {unit}",)),
    _t("unit_price", "unit_price_of_clothes", "{total}/{n}", (
        "{factory}做{n}件{cloth}共用布{total}米，平均每件用布多少米？",
        "做{n}件同样的{cloth}一共用了{total}米布，做一件要用布多少米？",
        "用{total}米布正好做了{n}件{cloth}，每件{cloth}用布的米数相同，每件用布多少米？",
    ), {"n": Num(5, 60), "per": _dec("0.8", "3", "0.1")},
        words={"factory": "factories", "cloth": "clothes"}, derived={"total": "{per}*{n}"}),
]

_DISCOUNT = [
    _t("discount_percent", "sale_price_zhe", "{price}*{zhe}/10", (
        "一件{cloth}原价{price}元，现在打{zhe}折出售，现价多少元？",
        "{shop}搞促销，原价{price}元的{cloth}打{zhe:zh}折，{name}买一件要付多少元？",
        "原价{price}元的一件{cloth}，现在打{zhe}折出售，售价是多少元？",
    ), {"price": Num(50, 500, 10), "off": Num(1, 5)},
        words={"cloth": "clothes", "shop": "shops", "name": "names"}, derived={"zhe": _ZHE}),
    _t("discount_percent", "saved_by_zhe", "{price}-{price}*{zhe}/10", (
        "一台{app}原价{price}元，打{zhe}折出售，比原价便宜了多少元？",
        "{app}原价{price}元，现在打{zhe:zh}折销售，买一台可以省多少元？",
        "{app}打{zhe}折后买，原价是{price}元，少花了多少元？",
    ), {"price": Num(500, 6000, 100), "off": Num(1, 5)},
        words={"app": "appliances"}, derived={"zhe": _ZHE}),
    _t("discount_percent", "original_from_zhe", "{sale}/({zhe}/10)", (
        "一台{app}打{zhe}折后售价是{sale}元，这台{app}原价多少元？",
        "{adult}买了一台打{zhe:zh}折的{app}，付了{sale}元，这台{app}原价是多少元？",
        "{app}现价{sale}元，是打{zhe}折以后的价格，原价是多少元？",
    ), {"orig": Num(500, 6000, 100), "off": Num(1, 5)},
        words={"app": "appliances", "adult": "adults"}, derived={"zhe": _ZHE, "sale": "{orig}*{zhe}/10"}),
    _t("discount_percent", "production_increase", "{a}*(1+{p})", (
        "{factory}去年生产{a}台机器，今年比去年增产{p}，今年生产多少台？",
        "{factory}去年的产量是{a}件，今年比去年增长了{p:zh}，今年生产了多少件？",
        "{factory}今年的产量比去年提高了{p}，去年产量是{a}台，今年产量是多少台？",
    ), {"a": Num(1000, 9000, 100), "p": _pct(5, 40, 5)},
        words={"factory": "factories"}, answer_kind="integer"),
    _t("discount_percent", "price_cut", "{a}*(1-{p})", (
        "一台{app}原价{a}元，现在降价{p}，现价多少元？",
        "{shop}里一台{app}原来卖{a}元，现在降价{p:zh}，现在卖多少元？",
        "{app}的价格下调了{p}，调价前是{a}元，调价后是多少元？",
    ), {"a": Num(800, 8000, 100), "p": _pct(5, 30, 5)},
        words={"app": "appliances", "shop": "shops"}),
    _t("discount_percent", "share_of_students", "{n}*{p}", (
        "{school}{grade}有学生{n}人，其中近视的同学占{p}，近视的同学有多少人？",
        "{school}{grade}共有{n}名学生，参加{club}的人数占全年级的{p}，参加{club}的有多少人？",
        "{school}{grade}的{n}名学生中，有{p}的学生参加了{club}，参加{club}的学生有多少名？",
    ), {"n": Num(100, 400, 20), "p": _pct(5, 60, 5)},
        words={"school": "schools", "grade": "grades", "club": "clubs"}, answer_kind="integer"),
    _t("discount_percent", "zhe_then_minus", "{a}*{zhe}/10-{c}", (
        "一件{cloth}原价{a}元，{shop}先打{zhe}折，再用一张{c}元的优惠券，最后要付多少元？",
        "{name}的妈妈买一件原价{a}元的{cloth}，打{zhe:zh}折后又减了{c}元，实际付了多少元？",
        "{cloth}标价{a}元，先打{zhe}折，结账时再减{c}元，{name}买这件{cloth}花了多少元？",
    ), {"a": Num(100, 600, 10), "off": Num(1, 4), "c": Num(10, 50, 10)},
        words={"cloth": "clothes", "shop": "shops", "name": "names"}, derived={"zhe": _ZHE}),
    _t("discount_percent", "pages_left_percent", "{n}*(1-{p})", (
        "一本{book}共{n}页，{name}已经看了全书的{p}，还剩多少页没看？",
        "{name}读一本{n}页的{book}，读了{p:zh}，还有多少页没读？",
        "{name}看一本{n}页的{book}，看了{p}，没看的还有多少页？",
    ), {"n": Num(100, 400, 20), "p": _pct(10, 90, 5)},
        words={"book": "books", "name": "names"}, answer_kind="integer"),
    _t("discount_percent", "attendance_rate_absent", "{n}-{n}*{p}", (
        "{school}{grade}有{n}名学生，今天的出勤率是{p}，今天缺勤多少人？",
        "一次植树活动，{grade}应到{n}人，实到人数是应到人数的{p}，有多少人没有到？",
        "{school}{grade}共有学生{n}人，某天出勤率为{p}，这天有几人缺勤？",
    ), {"n": Num(100, 400, 50), "p": _pct(90, 98, 2)},
        words={"school": "schools", "grade": "grades"}, answer_kind="integer"),
    _t("discount_percent", "business_tax", "{a}*{p}", (
        "某饭店上个月的营业额是{a}万元，按营业额的{p}缴纳营业税，这个月应缴纳营业税多少万元？",
        "某商场上个月的营业额为{a}万元，如果按{p:zh}的税率缴纳营业税，应缴税多少万元？",
        "营业额{a}万元，营业税的税率是{p}，要缴纳营业税多少万元？",
    ), {"a": Num(10, 500), "p": _pct(3, 5)}),
    _t("discount_percent", "cheng_increase", "{a}*(1+{c}/10)", (
        "某村去年小麦产量是{a}吨，今年比去年增产{c:zh}成，今年小麦产量是多少吨？",
        "一块试验田去年收稻谷{a}千克，今年比去年增产{c:zh}成，今年收稻谷多少千克？",
        "去年收苹果{a}千克，今年的收成比去年多了{c:zh}成，今年收了多少千克苹果？",
    ), {"a": Num(100, 5000, 10), "lc": Num(1, 3)}, derived={"c": "4-{lc}"}),  # 一成 to 三成 at any scale
    _t("discount_percent", "raise_then_zhe", "{a}*(1+{p})*{zhe}/10", (
        "一件{cloth}先按进价{a}元提高{p}定价，再打{zhe}折出售，售价是多少元？",
        "{shop}把进价{a}元的{cloth}加价{p}作为标价，后来又打{zhe}折卖出，卖了多少元？",
        "进价{a}元的{cloth}，{shop}先提价{p}，再打{zhe}折，这件{cloth}最后卖多少元？",
    ), {"a": Num(100, 500, 20), "p": _pct(20, 60, 10), "off": Num(1, 3)},
        words={"cloth": "clothes", "shop": "shops"}, derived={"zhe": _ZHE}),
]

_INTEREST = [
    _t("interest", "simple_interest", "{P}*{r}*{y}", (
        "{adult}把{P}元存入银行，定期{y}年，年利率是{r}，到期时可得利息多少元？",
        "{name}把压岁钱{P}元存入银行，存期{y}年，年利率{r}，到期后能得到多少元利息？",
        "本金{P}元，年利率{r}，存{y}年，利息=多少元？",
    ), {"P": Num(1000, 50000, 1000), "y": Num(1, 5), "r": Num("1.5", "4.5", "0.05", "percent")},
        words={"adult": "adults", "name": "names"}, round_decimals=2),
    _t("interest", "principal_plus_interest", "{P}+{P}*{r}*{y}", (
        "{adult}存入银行{P}元，定期{y}年，年利率是{r}，到期时一共可以取回多少元？",
        "妈妈把{P}元存入银行，存了{y}年，年利率为{r}，到期时本金和利息一共多少元？",
        "{P}元钱按年利率{r}存了{y}年，到期本息合计是多少元？",
    ), {"P": Num(1000, 50000, 1000), "y": Num(1, 5), "r": Num("1.5", "4.5", "0.05", "percent")},
        words={"adult": "adults"}, round_decimals=2),
    _t("interest", "interest_after_tax", "{P}*{r}*{y}*(1-{tax})", (
        "{adult}把{P}元存入银行，存期{y}年，年利率{r}，按规定要缴纳{tax}的利息税，到期后实得利息多少元？",
        "{P}元存入银行{y}年，年利率是{r}，扣除{tax}的利息税后，可以得到利息多少元？",
        "{adult}存了{P}元，存期{y}年，年利率是{r}，利息要缴{tax}的税，税后利息是多少元？",
    ), {"P": Num(1000, 20000, 1000), "y": Num(1, 5), "r": Num("2", "4", "0.25", "percent"),
        "tax": _pct(5, 20, 5)},
        words={"adult": "adults"}, round_decimals=2),
    _t("interest", "principal_from_interest", "{I}/({r}*{y})", (
        "{adult}把一笔钱存入银行，定期{y}年，年利率是{r}，到期时得到利息{I}元，{adult}存入的本金是多少元？",
        "一笔钱存了{y}年，年利率为{r}，到期后得到利息{I}元，这笔钱是多少元？",
        "年利率{r}，存{y}年，到期利息是{I}元，本金是多少元？",
    ), {"P": Num(1000, 50000, 1000), "y": Num(1, 5), "r": Num("1.5", "4.5", "0.25", "percent")},
        words={"adult": "adults"}, derived={"I": "{P}*{r}*{y}"}),
    _t("interest", "loan_repayment", "{P}*(1+{r}*{y})", (
        "{factory}向银行贷款{P}万元，年利率{r}，{y}年后应还本金和利息共多少万元？",
        "{factory}贷款{P}万元，贷款期限{y}年，年利率是{r}，到期时一共要还多少万元？",
        "贷款{P}万元，年利率为{r}，期限{y}年，到期本息一共多少万元？",
    ), {"P": Num(10, 500, 10), "y": Num(1, 5), "r": Num("3", "7", "0.5", "percent")},
        words={"factory": "factories"}, round_decimals=2),
    _t("interest", "compare_two_terms", "{P}*{r2}*{y2}-{P}*{r1}*{y1}", (
        "{adult}有{P}元，如果存{y1}年定期，年利率{r1}；如果存{y2}年定期，年利率{r2}。存{y2}年比存{y1}年多得利息多少元？",
        "{P}元存{y1}年定期的年利率是{r1}，存{y2}年定期的年利率是{r2}，存{y2}年到期的利息比存{y1}年的多多少元？",
        "同样存{P}元，{y2}年期年利率{r2}，{y1}年期年利率{r1}，两种存法到期的利息相差多少元？",
    ), {"P": Num(1000, 20000, 1000), "y1": Num(1, 2), "y2": Num(3, 5),
        "r1": Num("1.5", "2.5", "0.25", "percent"), "r2": Num("2.5", "4", "0.25", "percent")},
        words={"adult": "adults"}, round_decimals=2),
    _t("interest", "monthly_interest", "{P}*{r}*{m}", (
        "{adult}把{P}元存入银行，月利率是{r}，存了{m}个月，可得利息多少元？",
        "一笔{P}元的存款，月利率为{r}，{m}个月后的利息是多少元？",
        "存入{P}元，按月利率{r}计算，{m}个月的利息共有多少元？",
    ), {"P": Num(1000, 20000, 500), "m": Num(3, 24, 3), "r": Num("0.15", "0.35", "0.05", "percent")},
        words={"adult": "adults"}, round_decimals=2),
    _t("interest", "bond_total", "{P}+{P}*{r}*{y}", (
        "{adult}买了{P}元的国债，期限{y}年，年利率{r}，到期时可以取回本息多少元？",
        "{name}的爷爷用{P}元购买了{y}年期国债，年利率是{r}，到期时能拿到本金和利息共多少元？",
        "{y}年期国债的年利率是{r}，{adult}买了{P}元，到期后本金和利息一共有多少元？",
    ), {"P": Num(5000, 100000, 5000), "y": Num(3, 5), "r": Num("3", "5", "0.1", "percent")},
        words={"adult": "adults", "name": "names"}, round_decimals=2),
]

_SPEED = [
    _t("speed_time_distance", "distance", "{v}*{t}", (
        "一辆{vehicle}每小时行{v}千米，{t}小时行多少千米？",
        "{vehicle}的速度是{v}千米/时，从{city1}开到{city2}用了{t}小时，两地相距多少千米？",
        "{vehicle}以{v}千米/时的速度行驶了{t}小时，一共行驶了多少千米？",
    ), {"v": Num(40, 100, 5), "t": Num(2, 9)},
        words={"vehicle": "vehicles", "city1": "cities", "city2": "cities"}),
    _t("speed_time_distance", "time_needed", "{d}/{v}", (
        "甲、乙两地相距{d}千米，一辆{vehicle}以每小时{v}千米的速度从甲地开往乙地，需要多少小时？",
        "从{city1}到{city2}的公路长{d}千米，一辆{vehicle}每小时行{v}千米，几小时可以到达？",
        "{d}千米的路程，{vehicle}的速度是{v}千米/时，要行驶多少小时？",
    ), {"v": Num(40, 100, 5), "t": _dec("1.5", "9", "0.5")},
        words={"vehicle": "vehicles", "city1": "cities", "city2": "cities"}, derived={"d": "{v}*{t}"}),
    _t("speed_time_distance", "speed_walk", "{d}/{t}", (
        "{name}从家走到学校，{t}分钟走了{d}米，平均每分钟走多少米？",
        "{name}和妈妈去公园散步，{t}分钟走了{d}米，平均每分钟走多少米？",
        "{name}走{d}米用了{t}分钟，{name}的速度是每分钟多少米？",
    ), {"t": Num(5, 30), "v": Num(50, 90)},
        words={"name": "names"}, derived={"d": "{v}*{t}"}),
    _t("speed_time_distance", "speed_ride", "{d}/{t}", (
        "{name}骑{slow}去图书馆，{t}分钟骑了{d}米，{name}平均每分钟骑多少米？",
        "{adult}骑{slow}上班，路程是{d}米，用了{t}分钟，平均每分钟行多少米？",
        "{d}米的路，{name}骑{slow}用了{t}分钟，骑车的速度是每分钟多少米？",
    ), {"t": Num(5, 40), "v": Num(150, 400, 10)},
        words={"name": "names", "adult": "adults", "slow": "slow_movers"}, derived={"d": "{v}*{t}"}),
    _t("speed_time_distance", "meeting_distance", "({v1}+{v2})*{t}", (
        "两辆汽车同时从{city1}和{city2}相对开出，一辆每小时行{v1}千米，另一辆每小时行{v2}千米，经过{t}小时两车相遇。{city1}和{city2}相距多少千米？",
        "甲、乙两车同时从两地出发，相向而行，甲车每小时行{v1}千米，乙车每小时行{v2}千米，{t}小时后相遇，两地之间的路程是多少千米？",
        "快车每小时行{v1}千米，慢车每小时行{v2}千米，两车同时从{city1}、{city2}两地相向开出，{t}小时后相遇，两地相距多少千米？",
    ), {"v1": Num(40, 100, 5), "v2": Num(40, 100, 5), "t": Num(2, 6)},
        words={"city1": "cities", "city2": "cities"}),
    _t("speed_time_distance", "meeting_time", "{d}/({v1}+{v2})", (
        "甲、乙两地相距{d}千米，一辆{vehicle}和一辆{slow}同时从两地相对开出，{vehicle}每小时行{v1}千米，{slow}每小时行{v2}千米，经过几小时相遇？",
        "{city1}和{city2}相距{d}千米，两列{train}同时从两地相对开出，一列每小时行{v1}千米，另一列每小时行{v2}千米，几小时后两车相遇？",
        "一辆{vehicle}每小时行{v1}千米，一辆{slow}每小时行{v2}千米，它们同时从相距{d}千米的两地出发相向而行，多少小时后相遇？",
    ), {"v1": Num(50, 120, 5), "v2": Num(15, 40, 5), "t": Num(2, 6)},
        words={"vehicle": "vehicles", "slow": "slow_movers", "city1": "cities", "city2": "cities",
               "train": "trains"},
        derived={"d": "({v1}+{v2})*{t}"}),
    _t("speed_time_distance", "catch_up", "{d}/({v1}-{v2})", (
        "{name2}先出发，走了一段时间后，{name}骑{slow}去追，{name}出发时两人相距{d}米，{name}每分钟骑{v1}米，{name2}每分钟走{v2}米，{name}几分钟能追上{name2}？",
        "{name}和{name2}在同一条路上同向而行，{name2}在前，{name}在后，两人相距{d}米。{name}每分钟行{v1}米，{name2}每分钟行{v2}米，经过多少分钟{name}追上{name2}？",
        "{name2}每分钟走{v2}米，{name}每分钟骑{v1}米，{name}在{name2}后面{d}米处同时出发同向而行，几分钟后追上？",
    ), {"v1": Num(150, 300, 10), "v2": Num(50, 100, 10), "t": Num(3, 20)},
        words={"name": "names", "name2": "names", "slow": "slow_movers"},
        derived={"d": "({v1}-{v2})*{t}"}),
    _t("speed_time_distance", "remaining_distance", "{d}-{v}*{t}", (
        "甲、乙两地相距{d}千米，一辆{vehicle}从甲地开往乙地，每小时行{v}千米，行了{t}小时，离乙地还有多少千米？",
        "从{city1}到{city2}全程{d}千米，一辆{vehicle}已经以每小时{v}千米的速度行驶了{t}小时，还剩多少千米？",
        "全程{d}千米，一辆{vehicle}以{v}千米/时的速度行驶了{t}小时，还剩多少千米没有走？",
    ), {"d": Num(300, 1200, 10), "v": Num(40, 100, 5), "t": Num(2, 6)},
        words={"vehicle": "vehicles", "city1": "cities", "city2": "cities"},
        conditions=("{d} > {v}*{t}",)),
    _t("speed_time_distance", "opposite_directions", "({v1}+{v2})*{t}", (
        "{name}和{name2}从同一地点同时出发，向相反方向走去，{name}每分钟走{v1}米，{name2}每分钟走{v2}米，{t}分钟后两人相距多少米？",
        "两人从学校门口同时背向而行，一人每分钟走{v1}米，另一人每分钟走{v2}米，经过{t}分钟，两人相距多少米？",
        "{name}的速度是每分钟{v1}米，{name2}的速度是每分钟{v2}米，两人从家门口同时出发向相反的方向走，{t}分钟后相距多少米？",
    ), {"v1": Num(50, 90), "v2": Num(50, 90), "t": Num(5, 30)},
        words={"name": "names", "name2": "names"}),
    _t("speed_time_distance", "train_over_bridge", "({L}+{B})/{v}", (
        "一列{train}长{L}米，每秒行{v}米，它要通过一座长{B}米的大桥，从车头上桥到车尾离桥一共需要多少秒？",
        "一列长{L}米的{train}以每秒{v}米的速度通过一条长{B}米的隧道，需要多少秒？",
        "大桥长{B}米，一列长{L}米的{train}以每秒{v}米的速度过桥，完全通过大桥要用几秒？",
    ), {"L": Num(100, 400, 10), "v": Num(15, 60), "t": Num(20, 120)},
        words={"train": "trains"}, derived={"B": "{v}*{t}-{L}"}, conditions=("{B} >= 200",)),
    _t("speed_time_distance", "round_trip_average", "{d}*2/({d}/{v1}+{d}/{v2})", (
        "一辆{vehicle}从甲地开往乙地，去时每小时行{v1}千米，返回时每小时行{v2}千米，甲、乙两地相距{d}千米，这辆{vehicle}往返的平均速度是每小时多少千米（得数保留两位小数）？",
        "{adult}开车从{city1}到{city2}，两地相距{d}千米，去时速度是{v1}千米/时，回来时速度是{v2}千米/时，往返的平均速度是多少千米/时（得数保留两位小数）？",
        "两地相距{d}千米，{adult}去时每小时行{v1}千米，回来时每小时行{v2}千米，往返一次平均每小时行多少千米（得数保留两位小数）？",
    ), {"v1": Num(40, 100, 10), "v2": Num(40, 100, 10), "t1": Num(2, 8)},
        words={"vehicle": "vehicles", "adult": "adults", "city1": "cities", "city2": "cities"},
        derived={"d": "{v1}*{t1}"}, conditions=("{v1} != {v2}",), round_decimals=2),
]

_WORK = [
    _t("work_rate", "parts_in_hours", "{per}*{h}", (
        "{worker}每小时加工{per}个{part}，{h}小时一共加工多少个？",
        "{factory}的一台机器每小时生产{per}个{part}，照这样计算，{h}小时能生产多少个？",
        "{worker}加工{part}，工作效率是每小时{per}个，工作了{h}小时，共加工多少个{part}？",
    ), {"per": Num(12, 150), "h": Num(2, 10)},
        words={"worker": "workers", "factory": "factories", "part": "parts"}),
    _t("work_rate", "together_days", "1/(1/{a}+1/{b})", (
        "一项工程，甲队单独做{a}天完成，乙队单独做{b}天完成，两队合做几天可以完成？",
        "修一条{road}，{team}单独修要{a}天，另一个{team}单独修要{b}天，两队合修需要多少天？",
        "一个水池，单开甲管{a}小时可以注满，单开乙管{b}小时可以注满，两管同时打开，几小时可以注满？",
        "甲单独完成一项工作要{a}天，乙单独完成要{b}天，甲乙合作，需要几天完成这项工作？",
    ), {"c": Num(2, 12), "s": Num(1, 4)},
        words={"road": "roads", "team": "teams"},
        derived={"a": "{c}*(1+{s})", "b": "{c}*(1+{s})/{s}"}, conditions=("{s} | {c}",)),
    _t("work_rate", "road_length", "{per}*{d}+{rem}", (
        "{team}修一条{road}，每天修{per}米，修了{d}天后还剩{rem}米，这条{road}全长多少米？",
        "一条{road}，{team}已经修了{d}天，平均每天修{per}米，还有{rem}米没有修，这条{road}长多少米？",
        "修一条{road}，已修{d}天，每天修{per}米，没修的部分还有{rem}米，这条{road}一共多长？",
    ), {"per": Num(50, 300, 5), "d": Num(3, 20), "rem": Num(100, 2000, 10)},
        words={"team": "teams", "road": "roads"}),
    _t("work_rate", "more_workers_fewer_days", "{n}*{d}/{d2}", (
        "{n}名工人{d}天可以完成{job}，如果要{d2}天完成，需要多少名工人（每人工作效率相同）？",
        "{factory}完成{job}，{n}个人需要干{d}天，现在要求{d2}天完成，需要多少人？",
        "一项工程由{n}人做要{d}天完成，若要提前到{d2}天完成，需要多少人来做？",
    ), {"m": Num(2, 10), "t": Num(2, 8), "p": Num(2, 5), "q": Num(1, 4)},
        words={"job": "jobs", "factory": "factories"},
        # the work n*d = (p*m)*(q*t) is shared out again over q*t days: p*m workers, a whole number
        derived={"n": "{q}*{m}", "d": "{p}*{t}", "d2": "{q}*{t}"}, conditions=("{q} < {p}",)),
    _t("work_rate", "faster_than_plan", "{a}*{d}/{b}", (
        "{factory}生产一批{product}，原计划每天生产{a}件，{d}天完成。实际每天生产{b}件，实际多少天完成？",
        "{factory}原计划每天生产{a}件{product}，要{d}天完成任务，后来改进了技术，每天生产{b}件，这样多少天就能完成？",
        "一批{product}，计划每天做{a}件，{d}天做完，实际每天做了{b}件，实际用了几天？",
    ), {"m": Num(20, 100, 10), "t": Num(2, 6), "p": Num(3, 6), "q": Num(2, 5)},
        words={"factory": "factories", "product": "products"},
        # planned q*m a day for p*t days; actually p*m a day, so q*t days: whole numbers by construction
        derived={"a": "{q}*{m}", "d": "{p}*{t}", "b": "{p}*{m}"}, conditions=("{q} < {p}",)),
    _t("work_rate", "two_workers_hours", "{total}/({a}+{b})", (
        "{worker}每小时加工{a}个{part}，{worker2}每小时加工{b}个{part}，两人合作加工{total}个{part}需要多少小时？",
        "加工{total}个{part}，{worker}每小时做{a}个，{worker2}每小时做{b}个，两人同时做，几小时可以完成？",
        "两名工人合作加工{total}个{part}，一人每小时加工{a}个，另一人每小时加工{b}个，要几小时完成？",
    ), {"a": Num(10, 60), "b": Num(10, 60), "h": Num(2, 12)},
        words={"worker": "workers", "worker2": "workers", "part": "parts"},
        derived={"total": "({a}+{b})*{h}"}),
    _t("work_rate", "first_team_then_second", "(1-1/{x}*{d})/(1/{y})", (
        "一项工程，甲队单独做{x}天完成，乙队单独做{y}天完成。甲队先做了{d}天，剩下的由乙队单独做，还需要多少天完成？",
        "修一条{road}，{team}甲单独修要{x}天，{team}乙单独修要{y}天。现在由甲先修{d}天，余下的交给乙修，乙还要修几天？",
        "一项工程，甲独做需{x}天，乙独做需{y}天，先由甲做{d}天后，余下的工程由乙来完成，乙需要做几天？",
    ), {"x": Num(4, 20), "k": Num(1, 3), "d": Num(1, 10)},
        words={"road": "roads", "team": "teams"},
        derived={"y": "{x}*{k}"}, conditions=("{d} < {x}", "{x} != {y}")),
    _t("work_rate", "fill_and_drain", "1/(1/{a}-1/{b})", (
        "一个水池，单开进水管{a}小时可以注满，单开排水管{b}小时可以把满池水放完。如果两管同时打开，几小时可以把空池注满？",
        "给一个空水箱注水，单开进水管要{a}小时注满，满箱水单开出水管要{b}小时放完，两管一起打开，多少小时能注满水箱？",
        "一个空水池装有进水管和出水管，进水管单开{a}小时注满一池水，出水管单开{b}小时放完一池水，同时打开两管，多少小时注满水池？",
    ), {"s": Num(1, 4), "u": Num(1, 5)},
        # 1/(s*u) - 1/((s+1)*u) = 1/(s*(s+1)*u): a whole number of hours
        derived={"a": "{s}*{u}", "b": "({s}+1)*{u}"}),
    _t("work_rate", "pump_per_hour", "{V}/{h}", (
        "一个水池能蓄水{V}立方米，用一台抽水机{h}小时可以把满池水抽完，这台抽水机每小时抽水多少立方米？",
        "要把一个装有{V}立方米水的水池抽干，一台抽水机用了{h}小时，平均每小时抽水多少立方米？",
        "一台抽水机{h}小时抽水{V}立方米，平均每小时抽水多少立方米？",
    ), {"h": Num(2, 12), "per": Num(20, 120, 5)},
        derived={"V": "{per}*{h}"}),
]

_RATIO = [
    _t("ratio_fraction", "fraction_read", "{n}*{f}", (
        "一本{book}有{n}页，{name}已经看了全书的{f}，看了多少页？",
        "{name}读一本{n}页的{book}，已经读了全书的{f:zh}，{name}读了多少页？",
        "{name}看一本{book}，全书共{n}页，已看的页数是全书的{f}，已经看了几页？",
    ), {"n": Num(60, 360, 60), "f": _frac()},
        words={"book": "books", "name": "names"}),
    _t("ratio_fraction", "fraction_left", "{n}*(1-{f})", (
        "一条{road}长{n}米，已经修了全长的{f}，还剩多少米没修？",
        "{team}要修一条{n}米长的{road}，已经修了{f:zh}，还剩多少米？",
        "一条长{n}米的{road}，修好了{f}，没修的部分长多少米？",
    ), {"n": Num(120, 3600, 120), "f": _frac()},
        words={"road": "roads", "team": "teams"}),
    _t("ratio_fraction", "ratio_share", "{n}/({a}+{b})*{a}", (
        "{school}{grade}男生和女生人数的比是{a}:{b}，全年级共有{n}人，男生有多少人？",
        "{school}{grade}女生和男生人数的比是{b}:{a}，全年级共有{n}人，男生有多少人？",
        "{adult}把{n}元钱按{a}:{b}的比分给{name}和{name2}，{name}分到多少元？",
        "{school}{grade}共有学生{n}人，男生人数和女生人数的比是{a}:{b}，男生有几人？",
    ), {"s": Num(1, 7), "e": Num(1, 2), "k": Num(5, 30)},
        words={"school": "schools", "grade": "grades", "adult": "adults", "name": "names", "name2": "names"},
        derived={**_RATIO, "n": "({a}+{b})*{k}"}),
    _t("ratio_fraction", "whole_from_part", "{used}/{f}", (
        "一桶油，用去了{f}，正好是{used}千克，这桶油原来有多少千克？",
        "{name}看一本{book}，已经看了{used}页，正好是全书的{f:zh}，这本{book}一共有多少页？",
        "一袋大米吃了{f}，吃掉的是{used}千克，这袋大米原来重多少千克？",
    ), {"total": Num(60, 360, 60), "f": _frac()},
        words={"name": "names", "book": "books"}, derived={"used": "{total}*{f}"}),
    _t("ratio_fraction", "fraction_more", "{a}*(1+{f})", (
        "{name}家养了{a}只鸡，养的鸭比鸡多{f}，养了多少只鸭？",
        "{school}图书室有故事书{a}本，科技书比故事书多{f:zh}，科技书有多少本？",
        "{school}有故事书{a}本，科技书的本数比故事书多{f}，科技书一共有多少本？",
    ), {"a": Num(60, 600, 60), "f": _frac()},
        words={"name": "names", "school": "schools"}),
    _t("ratio_fraction", "two_days_fraction", "{n}*(1-{f1}-{f2})", (
        "一条{road}长{n}米，第一天修了全长的{f1}，第二天修了全长的{f2}，还剩多少米没有修？",
        "{team}修一条长{n}米的{road}，第一天修了{f1:zh}，第二天修了{f2:zh}，还剩多少米？",
        "{team}修一条{n}米的{road}，第一天修了{f1}，第二天修了{f2}，没修的部分还有多少米？",
    ), {"n": Num(120, 3600, 120), "f1": _frac(2, 6), "f2": _frac(2, 6)},
        words={"road": "roads", "team": "teams"}, conditions=("{f1}+{f2} < 1",)),
    _t("ratio_fraction", "fraction_of_rest", "{n}*(1-{f1})*(1-{f2})", (
        "一批货物有{n}吨，第一天运走了{f1}，第二天运走了余下的{f2}，还剩多少吨？",
        "{name}有{n}元钱，买书用去了{f1}，买文具又用去了余下的{f2}，还剩多少元？",
        "仓库里有货物{n}吨，先运走{f1}，又运走剩下的{f2}，仓库里还剩多少吨货物？",
    ), {"n": Num(360, 3600, 360), "f1": _frac(2, 6), "f2": _frac(2, 6)},
        words={"name": "names"}),
    _t("ratio_fraction", "map_scale", "{c}*{s}/100000", (
        "在比例尺是1:{s}的地图上，量得{city1}到{city2}的距离是{c}厘米，两地的实际距离是多少千米？",
        "一幅地图的比例尺是1:{s}，图上{c}厘米表示实际距离多少千米？",
        "{city1}和{city2}在一幅比例尺为1:{s}的地图上相距{c}厘米，它们的实际距离是多少千米？",
    ), {"s": Num(1000000, 8000000, 1000000), "c": _dec("1.5", "20", "0.5")},
        words={"city1": "cities", "city2": "cities"}),
    _t("ratio_fraction", "ratio_other_part", "{x}/{a}*{b}", (
        "{name}和{name2}邮票张数的比是{a}:{b}，{name}有{x}张，{name2}有多少张？",
        "{name2}和{name}邮票张数的比是{b}:{a}，{name}有{x}张，{name2}有多少张？",
        "一种混凝土里水泥和沙子的质量比是{a}:{b}，用了水泥{x}千克，需要沙子多少千克？",
        "{name}有{x}张邮票，{name}和{name2}邮票数量的比是{a}:{b}，{name2}的邮票有多少张？",
    ), {"s": Num(1, 7), "e": Num(1, 2), "k": Num(3, 40)},
        words={"name": "names", "name2": "names"}, derived={**_RATIO, "x": "{a}*{k}"}),
]

_SHARING = [
    _t("sharing_grouping", "equal_share", "{total}/{n}", (
        "{teacher}把{total}块{sweet}平均分给{n}个小朋友，每人分到多少块？",
        "{total}块{sweet}平均分给{n}个小朋友，每个小朋友分得几块？",
        "把{total}块{sweet}平均分成{n}份，每份有多少块？",
    ), {"n": Num(3, 12), "per": Num(2, 12)},
        words={"teacher": "teachers", "sweet": "sweets"}, derived={"total": "{per}*{n}"}),
    _t("sharing_grouping", "groups_count", "{total}/{k}", (
        "{school}{grade}有{total}名同学去春游，每{k}人分成一组，可以分成多少组？",
        "{total}名同学参加{club}活动，每组{k}人，一共能分成几组？",
        "{club}有{total}名同学，每{k}人分成一组，可以分成多少组？",
    ), {"k": Num(4, 12), "g": Num(5, 30)},
        words={"school": "schools", "grade": "grades", "club": "clubs"}, derived={"total": "{k}*{g}"}),
    _t("sharing_grouping", "boxes_needed", "{total}/{k}", (
        "{shop}运来{total}千克{fruit}，每箱装{k}千克，一共装了多少箱？",
        "果园摘了{total}千克{fruit}，每{k}千克装一筐，能装多少筐？",
        "{total}千克{fruit}，每筐装{k}千克，一共需要多少个筐？",
    ), {"k": Num(5, 25, 5), "g": Num(4, 60)},
        words={"shop": "fruit_shops", "fruit": "fruits"}, derived={"total": "{k}*{g}"}),
    _t("sharing_grouping", "share_after_keeping", "({total}-{keep})/{n}", (
        "{name}有{total}张卡片，自己留下{keep}张，其余的平均分给{n}个同学，每个同学分到多少张？",
        "{teacher}买来{total}本{book}，留下{keep}本放在图书角，其余的平均分给{n}个小组，每组分到几本？",
        "{total}本{book}，先拿出{keep}本给图书角，剩下的平均分给{n}个小组，每个小组分得多少本？",
    ), {"n": Num(2, 9), "per": Num(3, 15), "keep": Num(2, 12)},
        words={"name": "names", "teacher": "teachers", "book": "books"},
        derived={"total": "{per}*{n}+{keep}"}),
    _t("sharing_grouping", "pack_and_sell", "{total}/{k}*{p}", (
        "{factory}生产了{total}个{part}，每{k}个装一盒，每盒卖{p}元，这些{part}一共可以卖多少元？",
        "{shop}进了{total}块{sweet}，每{k}块装成一袋，每袋卖{p}元，全部卖完可以卖多少元？",
        "把{total}块{sweet}按每袋{k}块装袋，每袋售价{p}元，卖完这些{sweet}共收入多少元？",
    ), {"k": Num(4, 20), "g": Num(10, 200), "p": Num(3, 30)},
        words={"factory": "factories", "part": "parts", "shop": "shops", "sweet": "sweets"},
        derived={"total": "{k}*{g}"}),
    _t("sharing_grouping", "flowers_per_room", "{total}/{n}", (
        "学校买来{total}盆{flower}，平均摆放在{n}间教室里，每间教室摆几盆？",
        "{teacher}把{total}盆{flower}平均分给{n}个班，每个班分到多少盆？",
        "{total}盆{flower}平均摆放在{n}个教室里，每个教室摆放几盆？",
    ), {"n": Num(3, 16), "per": Num(2, 9)},
        words={"flower": "flowers", "teacher": "teachers"}, derived={"total": "{per}*{n}"}),
    _t("sharing_grouping", "rows_of_trees", "{total}/{k}", (
        "学校要种{total}棵{tree}，每行种{k}棵，可以种多少行？",
        "同学们在校园里种了{total}棵{tree}，平均每行{k}棵，种了几行？",
        "{tree}一共{total}棵，每行种{k}棵，可以种满多少行？",
    ), {"k": Num(4, 15), "g": Num(3, 20)},
        words={"tree": "trees"}, derived={"total": "{k}*{g}"}),
    _t("sharing_grouping", "share_two_levels", "{total}/{c}/{g}", (
        "{total}本{book}平均分给{c}个班，每个班再平均分给{g}个小组，每个小组分到多少本？",
        "{school}把{total}支{pen}平均分给{c}个班，每班又平均分给{g}个小组，每组分得几支？",
        "有{total}本{book}，先平均分给{c}个班，每个班再平均分给{g}个小组，每个小组分到几本？",
    ), {"c": Num(2, 8), "g": Num(2, 6), "per": Num(2, 10)},
        words={"book": "books", "school": "schools", "pen": "pens"},
        derived={"total": "{c}*{g}*{per}"}),
    _t("sharing_grouping", "trees_both_ends", "{L}/{d}+1", (
        "一条小路长{L}米，在路的一边从头到尾每隔{d}米栽一棵{tree}（两端都栽），一共要栽多少棵？",
        "在一条长{L}米的公路一旁植树，两端都要栽，每隔{d}米栽一棵{tree}，共需{tree}多少棵？",
        "一条小路长{L}米，在路的一边从头到尾每隔{d}米种一棵{tree}，两头都种，一共要种几棵？",
    ), {"d": Num(2, 10), "g": Num(5, 60)},
        words={"tree": "trees"}, derived={"L": "{d}*{g}"}),
    _t("sharing_grouping", "cut_into_pieces", "{L}/{k}", (
        "一根{L}米长的{fabric}，每{k}米剪成一段，可以剪成多少段？",
        "{name}把一根长{L}米的{fabric}剪成每段{k}米的小段，能剪多少段？",
        "一根{fabric}长{L}米，每{k}米剪一段，一共可以剪成几段？",
    ), {"k": _dec("0.5", "3", "0.5"), "g": Num(3, 30)},
        words={"fabric": "fabrics", "name": "names"}, derived={"L": "{k}*{g}"}),
]

_AVERAGE = [
    _t("average", "three_subjects", "({a}+{b}+{c})/3", (
        "{name}期末考试{s1}{a}分，{s2}{b}分，{s3}{c}分，三科的平均成绩是多少分？",
        "在一次测验中，{name}的{s1}成绩是{a}分，{s2}成绩是{b}分，{s3}成绩是{c}分，{name}这三科平均每科多少分？",
        "{name}期末考试{s1}得了{a}分，{s2}得了{b}分，{s3}得了{c}分，三门功课的平均分是多少？",
    ), {"la": Num(0, 30), "lb": Num(0, 30), "lc": Num(0, 30)},
        words={"name": "names", "s1": "subjects", "s2": "subjects", "s3": "subjects"},
        derived={"a": "100-{la}", "b": "100-{lb}", "c": "100-{lc}"}, conditions=("3 | {a}+{b}+{c}",)),
    _t("average", "five_days", "({a}+{b}+{c}+{d}+{e})/5", (
        "{shop}星期一到星期五卖出{app}的台数分别是{a}台、{b}台、{c}台、{d}台和{e}台，平均每天卖出多少台？",
        "{name}每天练习口算，星期一到星期五分别做了{a}道、{b}道、{c}道、{d}道和{e}道，平均每天做多少道？",
        "{shop}一周五个工作日卖出的{app}台数分别是{a}、{b}、{c}、{d}、{e}，平均每天卖出多少台？",
    ), {"a": Num(20, 90), "b": Num(20, 90), "c": Num(20, 90), "d": Num(20, 90), "e": Num(20, 90)},
        words={"shop": "shops", "app": "appliances", "name": "names"},
        derived={}, conditions=()),
    _t("average", "fourth_test", "({avg}*3+{x})/4", (
        "{name}前三次数学测验的平均分是{avg}分，第四次考了{x}分，四次测验的平均分是多少分？",
        "{name}参加了四次测验，前三次平均{avg}分，第四次得了{x}分，{name}这四次测验平均每次多少分？",
        "{name}前三次测验的平均成绩是{avg}分，第四次测验成绩是{x}分，四次测验的平均成绩是多少分？",
    ), {"lavg": Num(5, 30), "lx": Num(0, 30)},
        words={"name": "names"}, derived={"avg": "100-{lavg}", "x": "100-{lx}"}),
    _t("average", "score_needed", "{b}*{n1}-{a}*{n}", (
        "{name}前{n}次测验的平均成绩是{a}分，要想{n1}次的平均成绩达到{b}分，第{n1}次至少要考多少分？",
        "{name}已经考了{n}次，平均分是{a}分，要使平均分提高到{b}分，下一次要考多少分？",
        "{name}前{n}次考试平均{a}分，如果第{n1}次考试后，{n1}次的平均分要达到{b}分，第{n1}次要考多少分？",
    ), {"n": Num(2, 5), "m": Num(8, 25), "g": Num(1, 5)},
        words={"name": "names"}, derived={"n1": "{n}+1", "a": "100-{m}", "b": "{a}+{g}"},
        conditions=("({n}+1)*{g} <= {m}",)),
    _t("average", "new_member", "({a}*{k}+{x})/({k}+1)", (
        "{club}原来有{k}名同学，平均体重{a}千克，又来了一名体重{x}千克的同学，现在的平均体重是多少千克？",
        "{k}名同学的平均体重是{a}千克，加入一名体重{x}千克的同学后，这些同学的平均体重是多少千克？",
        "{club}有{k}名队员，平均体重{a}千克，新来了一名{x}千克的队员，现在全队平均体重是多少千克？",
    ), {"k": Num(3, 9), "a": Num(30, 45), "e": Num(1, 2)},
        words={"club": "clubs"}, derived={"x": "{a}+{e}*({k}+1)"}),
    _t("average", "class_average", "({m}*{a}+{f}*{b})/({m}+{f})", (
        "某班有男生{m}人，平均成绩{a}分；女生{f}人，平均成绩{b}分。全班的平均成绩是多少分（得数保留两位小数）？",
        "{grade}一班男生{m}人，数学平均分是{a}分，女生{f}人，数学平均分是{b}分，全班数学平均分是多少分（得数保留两位小数）？",
        "{grade}一班有男生{m}人，女生{f}人，男生平均分{a}分，女生平均分{b}分，全班的平均分是多少分（得数保留两位小数）？",
    ), {"m": Num(15, 28), "f": Num(15, 28), "la": Num(5, 25), "lb": Num(5, 25)},
        words={"grade": "grades"}, derived={"a": "100-{la}", "b": "100-{lb}"}, round_decimals=2),
    _t("average", "average_speed", "({d1}+{d2})/({t1}+{t2})", (
        "一辆{vehicle}前{t1}小时行了{d1}千米，后{t2}小时行了{d2}千米，这辆{vehicle}平均每小时行多少千米？",
        "{adult}开车去{city}，先用{t1}小时行了{d1}千米，又用{t2}小时行了{d2}千米，平均每小时行多少千米？",
        "{adult}前{t1}小时行了{d1}千米，后{t2}小时行了{d2}千米，{adult}平均每小时行了多少千米？",
    ), {"v": Num(50, 90), "v1": Num(40, 100), "t1": Num(1, 4), "t2": Num(1, 4)},
        words={"vehicle": "vehicles", "adult": "adults", "city": "cities"},
        derived={"d1": "{v1}*{t1}", "d2": "{v}*({t1}+{t2})-{v1}*{t1}"},
        conditions=("{d2}*2 >= {v}*{t2}", "{d2} <= {v}*{t2}*2")),
    _t("average", "daily_output", "{total}/{d}", (
        "{factory}{d}天共生产{product}{total}件，平均每天生产多少件？",
        "{worker}{d}天加工了{total}个{part}，平均每天加工多少个？",
        "{factory}的{worker}用{d}天时间加工{part}{total}个，平均每天加工几个？",
    ), {"d": Num(3, 30), "per": Num(20, 500)},
        words={"factory": "factories", "product": "products", "worker": "workers", "part": "parts"},
        derived={"total": "{per}*{d}"}),
]

_AGES = [
    _t("ages", "times_older", "{a}*{k}", (
        "{name}今年{a}岁，{elder}的年龄是{name}的{k}倍，{elder}今年多少岁？",
        "今年{name}{a}岁，{elder}的年龄正好是{name}的{k}倍，{elder}今年几岁？",
        "{name}今年{a}岁，{elder}的年龄是{name}的{k}倍，{elder}今年多少岁？",
    ), {"gap": Num(22, 35), "k": Num(3, 7)},
        words={"name": "names", "elder": "elders"},
        derived={"a": "{gap}/({k}-1)"}, conditions=("{k}-1 | {gap}", "{a} >= 3")),
    _t("ages", "sum_years_later", "{a}+{b}+{n}*2", (
        "{name}今年{a}岁。{elder}今年{b}岁。{n}年后两人的年龄和是多少岁？",
        "今年{elder}{b}岁。{name}今年{a}岁。再过{n}年，{elder}和{name}的年龄一共是多少岁？",
        "今年{name}{a}岁。{elder}今年{b}岁。{n}年后两人的年龄和是多少岁？",
    ), {"a": Num(5, 14), "b": Num(28, 48), "n": Num(2, 15)},
        words={"name": "names", "elder": "elders"}, clauses=(0, 2)),
    _t("ages", "difference_unchanged", "{b}-{a}+{c}", (
        "{elder}今年{b}岁，{name}今年{a}岁，当{name}{c}岁时，{elder}多少岁？",
        "{name}今年{a}岁，{elder}今年{b}岁，等{name}长到{c}岁时，{elder}是多少岁？",
        "{elder}今年{b}岁，{name}今年{a}岁，当{name}{c}岁的时候，{elder}几岁？",
    ), {"a": Num(5, 12), "b": Num(28, 45), "c": Num(13, 25)},
        words={"name": "names", "elder": "elders"}, conditions=("{c} > {a}", "{b} >= {a}+20")),
    _t("ages", "sum_and_difference", "({s}-{d})/2", (
        "{elder}和{name}今年的年龄和是{s}岁，{elder}比{name}大{d}岁，{name}今年多少岁？",
        "今年{name}和{elder}的年龄加起来是{s}岁，{elder}比{name}大{d}岁，{name}今年几岁？",
        "{elder}和{name}今年的年龄和是{s}岁，年龄差是{d}岁，{name}今年多少岁？",
    ), {"a": Num(5, 14), "d": Num(22, 36)},
        words={"name": "names", "elder": "elders"}, derived={"s": "{a}*2+{d}"}),
    _t("ages", "years_ago_multiple", "({k}*{a}-{b})/({k}-1)", (
        "{elder}今年{b}岁，{name}今年{a}岁，几年前{elder}的年龄是{name}的{k}倍？",
        "今年{name}{a}岁，{elder}{b}岁，多少年前{elder}的年龄正好是{name}年龄的{k}倍？",
        "{elder}今年{b}岁，{name}今年{a}岁，几年前{elder}的年龄是{name}的{k}倍？",
    ), {"x": Num(1, 6), "c": Num(2, 8), "k": Num(3, 6)},
        words={"name": "names", "elder": "elders"},
        derived={"a": "{c}+{x}", "b": "{k}*{c}+{x}"}, conditions=("({k}-1)*{c} >= 20",)),
    _t("ages", "multiple_and_difference", "{d}/({k}-1)", (
        "{grand}今年的年龄是{name}的{k}倍，{grand}比{name}大{d}岁，{name}今年多少岁？",
        "{name}的{grand}比{name}大{d}岁，今年{grand}的年龄是{name}的{k}倍，{name}今年几岁？",
        "{grand}的年龄是{name}的{k}倍，{grand}比{name}大{d}岁，{name}今年几岁？",
    ), {"d": Num(50, 70), "k": Num(5, 9)},
        words={"name": "names", "grand": "grandparents"},
        derived={"a": "{d}/({k}-1)"}, conditions=("{k}-1 | {d}",)),
    _t("ages", "elder_years_later", "{a}+{d}+{n}", (
        "{name}今年{a}岁，{elder}比{name}大{d}岁，{n}年后{elder}多少岁？",
        "{elder}比{name}大{d}岁，{name}今年{a}岁，再过{n}年{elder}是多少岁？",
        "{name}今年{a}岁，{elder}比{name}大{d}岁，{n}年后{elder}多少岁？",
    ), {"a": Num(4, 14), "d": Num(22, 35), "n": Num(2, 12)},
        words={"name": "names", "elder": "elders"}),
    _t("ages", "years_ago_age", "{a}-{n}", (
        "{grand}今年{a}岁，{n}年前{grand}多少岁？",
        "{name}今年{n}岁，{name}的{grand}今年{a}岁，{name}出生那年{grand}多少岁？",
        "{grand}今年{a}岁，{name}今年{n}岁，{name}出生时{grand}的年龄是多少？",
    ), {"a": Num(58, 85), "n": Num(4, 14)},
        words={"grand": "grandparents", "name": "names"}),
]

_GEOMETRY = [
    _t("geometry", "rectangle_area", "{l}*{w}", (
        "一块长方形菜地长{l}米，宽{w}米，它的面积是多少平方米？",
        "学校有一个长{l}米、宽{w}米的长方形操场，这个操场的面积是多少平方米？",
        "一块长方形菜地，长{l}米，宽{w}米，这块菜地的面积=多少平方米？",
    ), {"l": Num(10, 120), "w": Num(5, 80)}, conditions=("{l} > {w}",)),
    _t("geometry", "rectangle_perimeter", "({l}+{w})*2", (
        "一个长方形花坛长{l}米，宽{w}米，在它的四周围上篱笆，篱笆长多少米？",
        "{name}绕着一块长{l}米、宽{w}米的长方形草地走了一圈，走了多少米？",
        "一个长方形的长是{l}米，宽是{w}米，它的周长是多少米？",
    ), {"l": Num(6, 80), "w": Num(3, 50)}, words={"name": "names"}, conditions=("{l} > {w}",)),
    _t("geometry", "square_perimeter", "{a}*4", (
        "一个正方形鱼池的边长是{a}米，它的周长是多少米？",
        "用铁丝围一个边长{a}厘米的正方形，至少需要多少厘米铁丝？",
        "正方形的边长是{a}厘米，求它的周长。",
    ), {"a": _dec("2", "60", "0.5")}),
    _t("geometry", "square_area", "{a}*{a}", (
        "一块正方形桌布的边长是{a}分米，它的面积是多少平方分米？",
        "一个正方形花坛，边长{a}米，它的占地面积是多少平方米？",
        "边长为{a}米的正方形草坪，面积有多大（单位：平方米）？",
    ), {"a": Num(3, 40)}),
    _t("geometry", "cuboid_volume", "{l}*{w}*{h}", (
        "一个长方体水箱长{l}分米，宽{w}分米，高{h}分米，这个水箱的容积是多少升？",
        "一个长方体纸箱长{l}厘米，宽{w}厘米，高{h}厘米，它的体积是多少立方厘米？",
        "求长{l}厘米、宽{w}厘米、高{h}厘米的长方体的体积是多少立方厘米。",
    ), {"l": Num(5, 40), "w": Num(3, 30), "h": Num(3, 30)}, conditions=("{l} >= {w}",)),
    _t("geometry", "cube_surface", "{a}*{a}*6", (
        "一个正方体木块的棱长是{a}厘米，它的表面积是多少平方厘米？",
        "做一个棱长{a}分米的正方体纸盒，至少需要多少平方分米的纸板？",
        "一个正方体的棱长是{a}分米，它的表面积是多少平方分米？",
    ), {"a": Num(2, 20)}),
    _t("geometry", "triangle_area", "{b}*{h}/2", (
        "一块三角形菜地，底是{b}米，高是{h}米，这块菜地的面积是多少平方米？",
        "一个三角形的底是{b}厘米，高是{h}厘米，它的面积是多少平方厘米？",
        "三角形的一条底边长{b}厘米，这条底边上的高是{h}厘米，求这个三角形的面积。",
    ), {"b": Num(4, 60), "h": Num(3, 40)}),
    _t("geometry", "trapezoid_area", "({a}+{b})*{h}/2", (
        "一块梯形稻田，上底{a}米，下底{b}米，高{h}米，这块稻田的面积是多少平方米？",
        "一个梯形的上底是{a}厘米，下底是{b}厘米，高是{h}厘米，这个梯形的面积是多少平方厘米？",
        "一块梯形的地，上底{a}米，下底{b}米，高{h}米，这块地的面积是多少平方米？",
    ), {"a": Num(3, 40), "b": Num(5, 60), "h": Num(2, 30)}, conditions=("{a} < {b}",)),
    _t("geometry", "circle_area", "3.14*{r}*{r}", (
        "一个圆形花坛的半径是{r}米，它的面积是多少平方米（π取3.14）？",
        "一块圆形桌面的半径是{r}分米，这块桌面的面积是多少平方分米（π取3.14）？",
        "一个圆形花坛的半径是{r}米，花坛的面积是多少平方米（π取3.14）？",
    ), {"r": Num(1, 20)}),
    _t("geometry", "circle_circumference", "3.14*{d}", (
        "一个圆形水池的直径是{d}米，绕水池走一圈是多少米（π取3.14）？",
        "自行车车轮的直径是{d}厘米，车轮转一圈，自行车前进多少厘米（π取3.14）？",
        "一个圆的直径是{d}厘米，这个圆的周长是多少厘米（π取3.14）？",
    ), {"d": Num(30, 80)}),
    _t("geometry", "floor_tiles", "{l}*{w}*100/({s}*{s})", (
        "用边长{s}分米的正方形地砖铺一间长{l}米、宽{w}米的教室地面，一共需要多少块地砖？",
        "一个长方形客厅长{l}米，宽{w}米，用边长是{s}分米的方砖铺地，需要多少块？",
        "用边长{s}分米的正方形地砖铺一间长{l}米、宽{w}米的房间地面，一共要用多少块地砖？",
    ), {"l": Num(4, 12), "w": Num(3, 9), "s": Num(2, 6)},
        conditions=("{l} > {w}", "{s}*{s} | {l}*{w}*100"), answer_kind="integer"),
    _t("geometry", "width_from_area", "{A}/{l}", (
        "一块长方形地的面积是{A}平方米，长是{l}米，宽是多少米？",
        "一个长方形游泳池占地{A}平方米，它的长是{l}米，这个游泳池宽多少米？",
        "长方形的面积是{A}平方米，长是{l}米，宽是多少米？",
    ), {"l": Num(10, 60), "w": Num(4, 30)}, derived={"A": "{l}*{w}"}, conditions=("{l} > {w}",)),
    _t("geometry", "water_depth", "{V}/({l}*{w})", (
        "一个长方体玻璃缸，从里面量长{l}厘米，宽{w}厘米，向缸里倒入{V}毫升水，水深多少厘米？",
        "一个长方体水箱的底面长{l}分米、宽{w}分米，往里面注入{V}升水，水面高多少分米？",
        "把{V}升水倒入一个长{l}分米、宽{w}分米的长方体玻璃缸中，水深多少分米？",
    ), {"l": Num(10, 60), "w": Num(8, 40), "h": Num(3, 30)},
        derived={"V": "{l}*{w}*{h}"}, conditions=("{l} > {w}",)),
    _t("geometry", "cylinder_volume", "3.14*{r}*{r}*{h}", (
        "一个圆柱形水桶，底面半径是{r}分米，高是{h}分米，这个水桶能装水多少升（π取3.14）？",
        "一根圆柱形木料，底面半径{r}分米，长{h}分米，它的体积是多少立方分米（π取3.14）？",
        "一个圆柱的底面半径是{r}分米，高是{h}分米，这个圆柱的体积是多少立方分米（π取3.14）？",
    ), {"r": Num(1, 10), "h": Num(2, 30)}),
]

_UNITS = [
    _t("unit_conversion", "meters_to_cm", "{a}*100", (
        "{name}的身高是{a}米，合多少厘米？",
        "一张书桌长{a}米，合多少厘米？",
        "{a}米=多少厘米？",
    ), {"a": _dec("1.05", "1.75", "0.01")}, words={"name": "names"}),
    _t("unit_conversion", "kg_to_g", "{a}*1000", (
        "{name}买了{a}千克{fruit}，合多少克？",
        "一袋{grain}重{a}千克，是多少克？",
        "{name}买了{a}千克{fruit}，换算成克是多少克？",
    ), {"a": _dec("0.5", "10", "0.5")}, words={"name": "names", "fruit": "fruits", "grain": "grains"}),
    _t("unit_conversion", "hours_minutes", "{h}*60+{m}", (
        "{name}从{city1}坐{train}到{city2}用了{h}小时{m}分，合多少分钟？",
        "{h}小时{m}分是多少分钟？",
        "{train}从{city1}开到{city2}用了{h}小时{m}分，合多少分钟？",
    ), {"h": Num(1, 9), "lm": Num(5, 55, 5)},
        words={"name": "names", "train": "trains", "city1": "cities", "city2": "cities"},
        derived={"m": "60-{lm}"}),
    _t("unit_conversion", "minutes_to_hours", "{m}/60", (
        "{worker}修好一台{app}用了{m}分钟，合多少小时？",
        "{name}做作业用了{m}分钟，是多少小时？",
        "{m}分钟=多少小时？",
    ), {"m": Num(15, 300, 15)}, words={"worker": "workers", "app": "appliances", "name": "names"}),
    _t("unit_conversion", "sqm_to_hectares", "{a}/10000", (
        "一个果园占地{a}平方米，合多少公顷？",
        "{school}的校园面积是{a}平方米，是多少公顷？",
        "一块地的面积是{a}平方米，合多少公顷？",
    ), {"a": Num(5000, 200000, 500)}, words={"school": "schools"}),
    _t("unit_conversion", "yuan_jiao_fen", "{y}+{j}/10+{f}/100", (
        "{name}的存钱罐里有{y}元{j}角{f}分，合多少元？",
        "一个{toy}的价钱是{y}元{j}角{f}分，用小数表示是多少元？",
        "{name}买{toy}花了{y}元{j}角{f}分，改写成以元为单位的小数是多少元？",
    ), {"y": Num(1, 99), "lj": Num(1, 9), "lf": Num(1, 9)}, words={"name": "names", "toy": "toys"},
        derived={"j": "10-{lj}", "f": "10-{lf}"}),
    _t("unit_conversion", "kmh_to_ms", "{v}*1000/3600", (
        "一辆{vehicle}的速度是{v}千米/时，合每秒多少米？",
        "{train}每小时行{v}千米，相当于每秒行多少米？",
        "{vehicle}的速度是{v}千米/时，换算成米/秒是多少？",
    ), {"v": Num(36, 108, 18)}, words={"vehicle": "vehicles", "train": "trains"}),
    _t("unit_conversion", "tons_capacity_left", "{a}*1000-{b}", (
        "一辆{vehicle}最多能装{a}吨货物，现在已经装了{b}千克，还能再装多少千克？",
        "一辆{vehicle}的载重量是{a}吨，已装{grain}{b}千克，还可以装多少千克？",
        "一辆{vehicle}最多能装{a}吨，现在装了{b}千克{grain}，还能再装多少千克？",
    ), {"a": Num(2, 10), "b": Num(500, 9500, 50)},
        words={"vehicle": "trucks", "grain": "grains"}, conditions=("{a}*1000 > {b}",)),
    _t("unit_conversion", "liters_poured", "{a}*1000-{b}", (
        "一桶{liquid}有{a}升，倒出{b}毫升后，还剩多少毫升？",
        "一个水桶里有{a}升水，{name}用去了{b}毫升，桶里还剩多少毫升水？",
        "一壶{liquid}有{a}升，倒出{b}毫升后，壶里还剩多少毫升？",
    ), {"a": Num(1, 20), "b": Num(100, 5000, 50)},
        words={"liquid": "liquids", "name": "names"}, conditions=("{a}*1000 > {b}",)),
    _t("unit_conversion", "cm_to_m_total", "({a}+{b})/100", (
        "{name}的跳远成绩第一次是{a}厘米，第二次比第一次远{b}厘米，第二次跳了多少米？",
        "一根竹竿原长{a}厘米，又接上了{b}厘米，现在长多少米？",
        "把两根长{a}厘米和{b}厘米的绳子接在一起（接头不计），一共长多少米？",
    ), {"a": Num(150, 400), "b": Num(5, 60)}, words={"name": "names"}),
]

_COMPARISON = [
    _t("comparison", "how_many_more", "{a}-{b}", (
        "{name}有{a}本{book}。{name2}有{b}本{book}。{name}比{name2}多多少本？",
        "{name}收集了{a}张邮票。{name2}收集了{b}张邮票。{name}比{name2}多收集了多少张？",
        "{name}有{a}张邮票。{name2}有{b}张邮票。{name}的邮票比{name2}多几张？",
    ), {"a": Num(20, 120), "b": Num(10, 110)},
        words={"name": "names", "name2": "names", "book": "books"}, conditions=("{a} > {b}",),
        clauses=(0, 2)),
    _t("comparison", "times_then_more", "{a}*{k}-{a}", (
        "果园里有{t1}{a}棵，{t2}的棵数是{t1}的{k}倍，{t2}比{t1}多多少棵？",
        "{school}种了{a}棵{t1}，种的{t2}是{t1}的{k}倍，{t2}比{t1}多种了多少棵？",
        "{school}种{t1}{a}棵，{t2}的棵数是{t1}的{k}倍，{t2}比{t1}多多少棵？",
    ), {"a": Num(12, 150), "k": Num(2, 9)},
        words={"t1": "trees", "t2": "trees", "school": "schools"}),
    _t("comparison", "fewer_than", "{b}-{c}", (
        "{grade}一班收集了{b}个塑料瓶，二班比一班少收集{c}个，二班收集了多少个？",
        "{name2}有{b}张卡片，{name}比{name2}少{c}张，{name}有多少张卡片？",
        "{name2}有卡片{b}张，{name}的卡片比{name2}少{c}张，{name}的卡片有几张？",
    ), {"b": Num(40, 300), "c": Num(5, 60)},
        words={"grade": "grades", "name": "names", "name2": "names"}, conditions=("{b} > {c}",)),
    _t("comparison", "how_many_times", "{a}/{b}", (
        "{shop}有{f1}{a}千克，{f2}{b}千克，{f1}的重量是{f2}的几倍？",
        "{name}有{a}块{sweet}，{name2}有{b}块，{name}的{sweet}块数是{name2}的多少倍？",
        "{name}有{sweet}{a}块，{name2}有{b}块，{name}的块数是{name2}的几倍？",
    ), {"b": Num(4, 30), "k": Num(2, 9)},
        words={"shop": "fruit_shops", "f1": "fruits", "f2": "fruits", "name": "names", "name2": "names",
               "sweet": "sweets"},
        derived={"a": "{b}*{k}"}),
    _t("comparison", "more_then_total", "{a}*2+{b}", (
        "{grade}一班收集了{a}个塑料瓶，二班比一班多收集{b}个，两个班一共收集了多少个？",
        "{name}折了{a}只纸鹤，{name2}比{name}多折了{b}只，两人一共折了多少只？",
        "{name}折纸鹤{a}只，{name2}比{name}多折{b}只，他们俩共折纸鹤多少只？",
    ), {"a": Num(20, 200), "b": Num(3, 60)},
        words={"grade": "grades", "name": "names", "name2": "names"}),
    _t("comparison", "taller_by", "{a}-{b}", (
        "{name}身高{a}米，{name2}身高{b}米，{name}比{name2}高多少米？",
        "{name}跳远跳了{a}米，{name2}跳了{b}米，{name}比{name2}跳得远多少米？",
        "跳远比赛中，{name}的成绩是{a}米，{name2}的成绩是{b}米，{name}比{name2}多跳了多少米？",
    ), {"a": _dec("1.2", "1.7", "0.01"), "b": _dec("1.1", "1.6", "0.01")},
        words={"name": "names", "name2": "names"}, conditions=("{a} > {b}",)),
    _t("comparison", "times_then_total", "{a}+{a}*{k}", (
        "甲仓库存粮{a}吨，乙仓库存粮是甲仓库的{k}倍，两个仓库一共存粮多少吨？",
        "{shop}上午卖出{a}千克{fruit}，下午卖出的是上午的{k}倍，这一天一共卖出多少千克？",
        "{shop}上午卖{fruit}{a}千克，下午卖的是上午的{k}倍，全天共卖{fruit}多少千克？",
    ), {"a": Num(12, 200), "k": Num(2, 6)},
        words={"shop": "fruit_shops", "fruit": "fruits"}),
    _t("comparison", "equalize", "({a}-{b})/2", (
        "{name}有{a}本{book}，{name2}有{b}本，{name}给{name2}多少本后，两人的{book}就一样多？",
        "甲筐有{fruit}{a}千克，乙筐有{b}千克，从甲筐拿多少千克放到乙筐，两筐{fruit}就同样重？",
        "甲筐{fruit}重{a}千克，乙筐{fruit}重{b}千克，要使两筐一样重，应从甲筐取出多少千克放入乙筐？",
    ), {"b": Num(5, 60), "h": Num(1, 30)},
        words={"name": "names", "name2": "names", "book": "books", "fruit": "fruits"},
        derived={"a": "{b}+{h}*2"}),
    _t("comparison", "fraction_less", "{a}-{a}*{f}", (
        "{name}家养了{a}只{bird}，养的{bird2}比{bird}少{f}，养了多少只{bird2}？",
        "{grade}有{a}名同学参加{club}，{grade2}参加的人数比{grade}少{f:zh}，{grade2}有多少人参加？",
        "{grade}参加{club}的有{a}人，{grade2}参加的人数比{grade}少{f}，{grade2}参加{club}的有多少人？",
    ), {"a": Num(60, 360, 60), "f": _frac()},
        words={"name": "names", "bird": "poultry", "bird2": "poultry", "grade": "grades", "grade2": "grades",
               "club": "clubs"}),
]

_MULTI = [
    _t("multi_step", "budget_rest_on_pens", "({m}-{n1}*{p1})/{p2}", (
        "{teacher}带了{m}元去买奖品，先买了{n1}个{toy}，每个{p1}元，剩下的钱全部买{pen}，每支{p2}元，可以买多少支{pen}？",
        "{name}用{m}元买了{n1}个单价{p1}元的{toy}，余下的钱正好买了一些单价{p2}元的{pen}，买了几支{pen}？",
        "{teacher}带{m}元钱，先买了{n1}个{toy}，每个{p1}元，剩下的钱全部买{pen}，每支{p2}元，能买多少支{pen}？",
    ), {"n1": Num(2, 6), "p1": Num(8, 30), "p2": _dec("0.5", "5", "0.5"), "k": Num(2, 20)},
        words={"teacher": "teachers", "name": "names", "toy": "toys", "pen": "pens"},
        derived={"m": "{n1}*{p1}+{k}*{p2}"}, answer_kind="integer"),
    _t("multi_step", "plan_rest_per_day", "({total}-{a}*{d1})/{d2}", (
        "{factory}要生产{total}件{product}，前{d1}天每天生产{a}件，剩下的要在{d2}天内完成，平均每天要生产多少件？",
        "{factory}接到一批{total}件{product}的订单，已经生产了{d1}天，每天{a}件，余下的计划{d2}天做完，平均每天还要做多少件？",
        "{factory}要生产{total}件{product}，前{d1}天每天生产{a}件，剩下的要在{d2}天内完成，平均每天要生产多少件？",
    ), {"a": Num(50, 400, 10), "d1": Num(2, 10), "b": Num(50, 500, 10), "d2": Num(2, 10)},
        words={"factory": "factories", "product": "products"},
        derived={"total": "{a}*{d1}+{b}*{d2}"}),
    _t("multi_step", "rest_speed", "({d}-{v}*{t})/{t2}", (
        "甲、乙两地相距{d}千米，一辆{vehicle}从甲地开往乙地，前{t}小时每小时行{v}千米，剩下的路程要在{t2}小时内行完，每小时要行多少千米？",
        "{adult}开车从{city1}去{city2}，全程{d}千米，前{t}小时平均每小时行{v}千米，剩下的路要{t2}小时走完，平均每小时要行多少千米？",
        "{city1}到{city2}的路程是{d}千米，{adult}先以每小时{v}千米的速度行驶了{t}小时，余下的路程要在{t2}小时内走完，每小时要行多少千米？",
    ), {"v": Num(40, 90, 5), "t": Num(1, 5), "w": Num(50, 100, 5), "t2": Num(1, 5)},
        words={"vehicle": "vehicles", "adult": "adults", "city1": "cities", "city2": "cities"},
        derived={"d": "{v}*{t}+{w}*{t2}"}),
    _t("multi_step", "tickets_change", "{paid}-{k}*{a}-{n}*{b}", (
        "科技馆的成人票每张{a}元。学生票每张{b}元。{k}位老师带{n}名学生去参观科技馆，付了{paid}元，应找回多少元？",
        "博物馆的学生票{b}元一张。成人票{a}元一张。{school}的{k}名老师和{n}名学生一起买票，交给售票员{paid}元，应找回多少元？",
        "成人票每张{a}元。学生票每张{b}元。{school}组织{k}名老师和{n}名学生参观博物馆，付给售票员{paid}元，应找回多少钱？",
    ), {"k": Num(2, 5), "n": Num(20, 50), "a": Num(20, 60, 5), "b": Num(5, 30, 5), "paid": Num(500, 3000, 500)},
        words={"school": "schools"}, conditions=("{b} < {a}", "{paid} > {k}*{a}+{n}*{b}",
                                                 "{paid} <= ({k}*{a}+{n}*{b})*2"), clauses=(0, 2)),
    _t("multi_step", "yearly_savings", "({w}-{e}-{r})*12", (
        "{adult}每月工资{w}元，每月生活费用去{e}元，房租{r}元，其余的存起来，一年能存多少元？",
        "{adult}一个月收入{w}元，每月交房租{r}元，日常开支{e}元，照这样计算，一年可以节余多少元？",
        "{adult}每月工资{w}元，每月房租{r}元，其他开支{e}元，一年能存下多少元？",
    ), {"w": Num(4000, 12000, 100), "e": Num(1000, 4000, 100), "r": Num(800, 3000, 100)},
        words={"adult": "adults"}, conditions=("{w} > {e}+{r}",)),
    _t("multi_step", "fruit_stock_left", "{n1}*{k1}+{n2}*{k2}-{s}", (
        "{shop}运来{n1}箱{f1}，每箱{k1}千克。{shop}还运来{n2}箱{f2}，每箱{k2}千克。这两种水果已经卖出{s}千克，还剩多少千克？",
        "{f1}有{n1}筐，每筐{k1}千克。{f2}有{n2}筐，每筐{k2}千克。{shop}卖出了{s}千克水果，还剩多少千克水果？",
        "{f1}运来{n1}筐，每筐重{k1}千克。{f2}运来{n2}筐，每筐重{k2}千克。{shop}卖出{s}千克后，还剩水果多少千克？",
    ), {"n1": Num(5, 40), "k1": Num(10, 30), "n2": Num(5, 40), "k2": Num(10, 30), "s": Num(50, 800, 10)},
        words={"shop": "fruit_shops", "f1": "fruits", "f2": "fruits"},
        conditions=("{n1}*{k1}+{n2}*{k2} > {s}",), clauses=(0, 2)),
    _t("multi_step", "fence_cost", "({l}+{w})*2*{p}", (
        "一块长方形菜地长{l}米，宽{w}米，在它的四周围上篱笆，每米篱笆{p}元，一共需要多少元？",
        "{school}要给一个长{l}米、宽{w}米的长方形花圃围一圈栏杆，每米栏杆的价钱是{p}元，共需多少元？",
        "一个长方形花圃长{l}米，宽{w}米，{school}要在它的四周围上栏杆，栏杆每米{p}元，围栏杆一共要花多少钱？",
    ), {"l": Num(8, 60), "w": Num(4, 40), "p": _dec("5", "40", "0.5")},
        words={"school": "schools"}, conditions=("{l} > {w}",)),
    _t("multi_step", "paint_classroom", "({l}+{w})*{h}*2+{l}*{w}-{d}", (
        "一间教室长{l}米，宽{w}米，高{h}米，要粉刷教室的四壁和顶棚，扣除门窗和黑板的面积{d}平方米，粉刷的面积是多少平方米？",
        "{name}家的客厅长{l}米、宽{w}米、高{h}米，要给四面墙壁和天花板刷漆，门窗面积共{d}平方米不刷，需要刷漆的面积是多少平方米？",
        "一间教室长{l}米，宽{w}米，高{h}米，要粉刷四壁和屋顶，除去门窗{d}平方米，粉刷的面积是多少平方米？",
    ), {"l": Num(5, 12), "w": Num(4, 9), "h": _dec("2.8", "3.5", "0.1"), "d": _dec("8", "25", "0.5")},
        words={"name": "names"}, conditions=("{l} > {w}",)),
    _t("multi_step", "harvest_tons", "{l}*{w}*{k}/1000", (
        "一块长方形稻田长{l}米，宽{w}米，平均每平方米收稻谷{k}千克，这块稻田一共收稻谷多少吨？",
        "一块长{l}米、宽{w}米的长方形麦田，每平方米收小麦{k}千克，一共能收小麦多少吨？",
        "一块长方形稻田长{l}米，宽{w}米，平均每平方米产稻谷{k}千克，这块稻田共产稻谷多少吨？",
    ), {"l": Num(50, 300, 10), "w": Num(20, 150, 10), "k": _dec("0.5", "1.2", "0.05")},
        conditions=("{l} > {w}",)),
    _t("multi_step", "morning_afternoon_sales", "({a}+{a}*{k})*{p}", (
        "{shop}上午卖出{a}台{app}，下午卖出的台数是上午的{k}倍，每台{p}元，这一天一共卖了多少元？",
        "{shop}的{app}每台售价{p}元，上午卖出{a}台，下午卖出的是上午的{k}倍，全天卖{app}收入多少元？",
        "一台{app}售价{p}元，{shop}上午卖出{a}台，下午卖出的台数是上午的{k}倍，这一天卖{app}共收入多少元？",
    ), {"a": Num(2, 20), "k": Num(2, 5), "p": Num(500, 5000, 100)},
        words={"shop": "shops", "app": "appliances"}),
    _t("multi_step", "three_items_change", "{paid}-{n1}*{p1}-{n2}*{p2}-{n3}*{p3}", (
        "妈妈买了{n1}千克{f1}，每千克{p1}元；{n2}千克{v}，每千克{p2}元；还买了{n3}袋{grain}，每袋{p3}元。妈妈付了{paid}元，应找回多少元？",
        "{adult}在{shop}买了{n1}千克{f1}（每千克{p1}元）、{n2}千克{v}（每千克{p2}元）和{n3}袋{grain}（每袋{p3}元），给了售货员{paid}元，应找回多少元？",
        "{adult}带了{paid}元去{shop}，买了{n1}千克{f1}，每千克{p1}元；{n2}千克{v}，每千克{p2}元；{n3}袋{grain}，每袋{p3}元。还剩多少元？",
    ), {"n1": Num(1, 5), "p1": _dec("3", "15", "0.5"), "n2": Num(1, 5), "p2": _dec("1", "8", "0.5"),
        "n3": Num(1, 3), "p3": Num(20, 60), "paid": Num(100, 300, 50)},
        words={"f1": "fruits", "v": "vegetables", "grain": "grains", "adult": "adults", "shop": "shops"},
        conditions=("{paid} > {n1}*{p1}+{n2}*{p2}+{n3}*{p3}", "{paid} <= ({n1}*{p1}+{n2}*{p2}+{n3}*{p3})*2")),
    _t("multi_step", "road_two_speeds_left", "{L}-{a}*{d1}-({a}+{b})*{d2}", (
        "{team}修一条长{L}米的{road}，前{d1}天每天修{a}米，后来每天比原来多修{b}米，又修了{d2}天，还剩多少米没有修？",
        "一条{road}全长{L}米，{team}先用{d1}天每天修{a}米，以后每天多修{b}米，又修了{d2}天，这条{road}还剩多少米？",
        "{team}修一条长{L}米的{road}，前{d1}天每天修{a}米，后{d2}天每天比原来多修{b}米，还有多少米没修？",
    ), {"L": Num(2000, 9000, 100), "a": Num(80, 200, 10), "d1": Num(2, 8), "b": Num(10, 60, 10),
        "d2": Num(2, 8)},
        words={"team": "teams", "road": "roads"},
        conditions=("{L} > {a}*{d1}+({a}+{b})*{d2}",)),
    _t("multi_step", "chickens_rabbits", "({f}-{h}*2)/2", (
        "鸡兔同笼，共有{h}个头，{f}只脚，笼中有兔多少只？",
        "一个笼子里关着鸡和兔，从上面数有{h}个头，从下面数有{f}只脚，兔有几只？",
        "鸡兔同笼，共有{h}个头，{f}条腿，兔子有多少只？",
    ), {"c": Num(3, 30), "r": Num(2, 30)},
        derived={"h": "{c}+{r}", "f": "{c}*2+{r}*4"}),
    _t("multi_step", "raise_and_sale_profit", "{a}*(1+{p})*{zhe}/10-{a}", (
        "{shop}按进价{a}元购进一件{cloth}，先提价{p}定价，再打{zhe}折卖出，卖出这件{cloth}赚了多少元？",
        "一件{cloth}进价{a}元，{shop}按进价加价{p}标价，后来打{zhe}折售出，这件{cloth}盈利多少元？",
        "{shop}购进一件{cloth}花了{a}元，按进价提高{p}后标价，再打{zhe}折卖出，卖这件{cloth}赚了多少元？",
    ), {"a": Num(100, 500, 20), "p": _pct(30, 80, 10), "off": Num(1, 2)},
        words={"shop": "shops", "cloth": "clothes"}, derived={"zhe": _ZHE}),
    _t("multi_step", "pool_cement_area", "{l}*{w}+({l}*{h}+{w}*{h})*2", (
        "一个长方体游泳池长{l}米，宽{w}米，深{h}米，要在池底和四壁抹上水泥，抹水泥的面积是多少平方米？",
        "{school}新建了一个长{l}米、宽{w}米、深{h}米的长方体水池，在水池的四周和底面贴瓷砖，贴瓷砖的面积是多少平方米？",
        "一个长方体水池长{l}米，宽{w}米，深{h}米，{school}要在池底和四壁抹水泥，抹水泥的面积是多少平方米？",
    ), {"l": Num(10, 50), "w": Num(5, 25), "h": _dec("1.2", "2.5", "0.1")},
        words={"school": "schools"}, conditions=("{l} > {w}",)),
]

# Situations frequent in the training parts of Math23K and Ape210K that had no template: 原来有多少 (the start from
# what was given away and what is left), 开走了…又开来了, 节约了/降低了百分之几, 增加了百分之几, equal groups put
# together (每班…人，一共).
_EVERYDAY = [
    _t("comparison", "at_first", "{b}+{c}", (
        "{name}送给{name2}{b}张邮票后，还剩{c}张，{name}原来有多少张邮票？",
        "{shop}卖出{b}千克{fruit}后，还剩{c}千克，原来有{fruit}多少千克？",
    ), {"b": Num(2, 300), "c": Num(2, 300)},
        words={"name": "names", "name2": "names", "shop": "fruit_shops", "fruit": "fruits"}),
    _t("comparison", "gone_then_come", "{a}-{b}+{c}", (
        "停车场原来停着{a}辆车，开走了{b}辆，又开来了{c}辆，现在停车场有多少辆车？",
        "图书角原有{a}本书，借出{b}本，又还回{c}本，现在图书角有多少本书？",
    ), {"a": Num(20, 200), "b": Num(2, 90), "c": Num(2, 90)}, conditions=("{a} > {b}",)),
    _t("discount_percent", "saved_percent", "({a}-{b})/{a}*100", (
        "{factory}原计划用煤{a}吨，实际用煤{b}吨，节约了百分之几？",
        "一种商品原价{a}元，现价{b}元，降价了百分之几？",
    ), {"a": Num(100, 2000, 20), "p": Num(5, 40, 5)}, derived={"b": "{a}*(100-{p})/100"},
        words={"factory": "factories"}),
    _t("discount_percent", "increase_percent", "({b}-{a})/{a}*100", (
        "{school}去年有学生{a}人，今年有{b}人，今年比去年增加了百分之几？",
        "{factory}上月生产{a}台机器，本月生产{b}台，本月比上月增产百分之几？",
    ), {"a": Num(100, 2000, 20), "p": Num(5, 60, 5)}, derived={"b": "{a}*(100+{p})/100"},
        words={"school": "schools", "factory": "factories"}),
    _t("sharing_grouping", "groups_total", "{n}*{k}", (
        "{school}有{n}个班，每班{k}人，一共有多少人？",
        "一箱{drink}有{k}瓶，{n}箱一共有多少瓶？",
    ), {"n": Num(2, 40), "k": Num(6, 50)}, words={"school": "schools", "drink": "drinks"}),
]

TEMPLATES: tuple[Template, ...] = tuple(
    _BUYING + _UNIT_PRICE + _DISCOUNT + _INTEREST + _SPEED + _WORK + _RATIO + _SHARING + _AVERAGE + _AGES
    + _GEOMETRY + _UNITS + _COMPARISON + _MULTI + _EVERYDAY
)
