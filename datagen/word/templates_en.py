"""English school word problems as templates (see templates.py for the syntax): every topic of TOPICS but the
arithmetic asked in words (phrasings_en.py), written as an English-speaking teacher would set them (the register
of GSM8K), not translated from the Chinese set.

Conventions: money in dollars (`${price}`, decimals in steps of a cent or a quarter), metric and US units as the
topic needs, counted things from lexicon lists of `singular|plural` entries; every count of people or things that
must come out whole is forced by a derived slot (`total = per * groups`) or a divisibility condition, never by
luck. `multi_step` templates have 3 to 6 operations.
"""

from __future__ import annotations

from .templates import Num, Template


def _t(topic: str, name: str, expression: str, texts, nums: dict, **kw) -> Template:
    return Template(
        id=f"en.{topic}.{name}", lang="en", topic=topic, nums=nums, expression=expression,
        texts=(texts,) if isinstance(texts, str) else tuple(texts), **kw,
    )


_CENTS = Num("0.25", "9.75", "0.25", kind="decimal")  # a price in quarters of a dollar
_PENNIES = Num("0.05", "4.95", "0.05", kind="decimal")
_NAME = {"name": "names"}

BUYING = (
    _t("buying", "change_from_bill", "{paid}-{count}*{price}", (
        "{name} buys {count} {item.pl} at ${price} each and pays with ${paid}. How much change does {name} get?",
        "At the {store}, {item.pl} cost ${price} each. {name} picks up {count} of them and hands the cashier "
        "${paid}. How much change should {name} receive?",
        "If {name} gives the cashier ${paid} for {count} {item.pl} that are ${price} apiece, how much money "
        "should {name} get back?",
    ), {"count": Num(2, 9), "price": _CENTS, "paid": Num(10, 60, 5)},
        words={"name": "names", "item": "fruits", "store": "stores"}, conditions=("{paid} > {count}*{price}",)),
    _t("buying", "item_plus_several", "{p1}+{n}*{p2}", (
        "{name} buys {item1.a} for ${p1} and {n} {item2.pl} for ${p2} each. How much does {name} spend in all?",
        "A {item1} costs ${p1}. Each {item2} costs ${p2}. What is the total cost of one {item1} and {n} "
        "{item2.pl}?",
        "{name} bought {n} {item2.pl} that cost ${p2} each and one {item1} that cost ${p1}. How much money "
        "did {name} spend altogether?",
    ), {"p1": Num(5, 40), "n": Num(2, 8), "p2": _CENTS}, words={"name": "names", "item1": "gadgets",
                                                              "item2": "school_items"}),
    _t("buying", "budget_left", "{money}-({n1}*{p1}+{n2}*{p2})", (
        "{name} has ${money}. {name} buys {n1} {item1.pl} at ${p1} each and {n2} {item2.pl} at ${p2} each. "
        "How much money does {name} have left?",
        "{name} goes shopping with ${money}. {name} picks up {n1} {item1.pl} for ${p1} apiece and {n2} "
        "{item2.pl} for ${p2} apiece. How much is left after paying?",
        "After buying {n1} {item1.pl} for ${p1} each and {n2} {item2.pl} for ${p2} each, how much of {name}'s"
        " ${money} is left?",
    ), {"money": Num(20, 100, 5), "n1": Num(2, 6), "p1": _CENTS, "n2": Num(2, 6), "p2": _CENTS},
        words={"name": "names", "item1": "snacks", "item2": "school_items"},
        conditions=("{money} > {n1}*{p1}+{n2}*{p2}",)),
    _t("buying", "tickets_family", "{a}*{pa}+{c}*{pc}", (
        "Tickets to {place} cost ${pa} for adults and ${pc} for children. How much do {a} adults and {c} "
        "children pay together?",
        "A family of {a} adults and {c} children visits {place}. An adult ticket is ${pa} and a child ticket is "
        "${pc}. What does the family pay for tickets?",
        "{a} adults and {c} kids went to {place}. Adult tickets were ${pa} each and kids' tickets were ${pc} "
        "each. How much did they spend on tickets in total?",
    ), {"a": Num(2, 4), "pa": Num(8, 30), "c": Num(2, 5), "pc": Num("4", "15", "0.50", kind="decimal")},
        words={"place": "places"}, conditions=("{pc} < {pa}",)),
    _t("buying", "weeks_to_save", "{cost}/{per_week}", (
        "{name} wants {item.a} that costs ${cost}. {name} saves ${per_week} every week. How many weeks will it "
        "take to save enough?",
        "{name} is saving ${per_week} a week to buy {item.a} priced at ${cost}. How many weeks of saving does "
        "{name} need?",
        "{name} puts away ${per_week} each week. How many weeks does {name} have to save to have the ${cost} "
        "needed for {item.a}?",
    ), {"per_week": Num(3, 25), "weeks": Num(3, 20)}, derived={"cost": "{per_week}*{weeks}"},
        words={"name": "names", "item": "gadgets"}, answer_kind="integer"),
    _t("buying", "bills_change", "{k}*20-{n}*{p}", (
        "{name} pays for {n} {item.pl} costing ${p} each with {k} twenty-dollar bills. How much change comes "
        "back?",
        "{n} {item.pl} cost ${p} each. {name} hands over {k} twenty-dollar bills to pay for them. What change "
        "should {name} get?",
        "{name} used {k} twenty-dollar bills to pay for {n} {item.pl}. Each {item} was ${p}. How much change "
        "did {name} receive?",
    ), {"k": Num(2, 5), "n": Num(2, 12), "p": _CENTS}, words={"name": "names", "item": "books"},
        conditions=("{k}*20 > {n}*{p}",)),
    _t("buying", "coupon", "{n}*{p}-{c}", (
        "{name} buys {n} {item.pl} at ${p} each and uses a ${c} coupon. How much does {name} pay?",
        "Each {item} costs ${p}. {name} has a coupon for ${c} off the whole order and buys {n} {item.pl}. What "
        "is the final cost?",
        "Each {item} is ${p}. {name} buys {n} {item.pl} and takes ${c} off the total with a coupon. What does"
        " {name} end up paying?",
    ), {"n": Num(2, 10), "p": Num(3, 20), "c": Num(2, 10)}, words={"name": "names", "item": "toys"},
        conditions=("{n}*{p} > 2*{c}",)),
    _t("buying", "how_many_afford", "{money}/{p}", (
        "{name} has exactly ${money} to spend on {item.pl} that cost ${p} each. How many {item.pl} can {name} "
        "buy?",
        "At the shop, {item.pl} sell for ${p} each, and {name} spends exactly ${money} on them. How many does {name} "
        "buy?",
        "{name} spent ${money} on {item.pl}. If each one cost ${p}, how many {item.pl} did {name} buy?",
    ), {"p": Num("0.50", "6", "0.50", kind="decimal"), "k": Num(2, 24)}, derived={"money": "{p}*{k}"},
        words={"name": "names", "item": "stickers"}, answer_kind="integer"),
    _t("buying", "bag_and_items", "{n}*{p}+{bag}", (
        "At the {store}, {name} fills a basket with {n} {item.pl} at ${p} each and also buys a reusable bag for "
        "${bag}. What is the total?",
        "{name} buys {n} {item.pl} for ${p} each at the {store} and pays ${bag} for a bag to carry them. How "
        "much does {name} spend?",
        "{name} paid for {n} {item.pl} at ${p} each plus a ${bag} bag. How much did {name} pay in all?",
    ), {"n": Num(3, 12), "p": _PENNIES, "bag": Num("0.5", "3", "0.25", kind="decimal")},
        words={"name": "names", "store": "stores", "item": "fruits"}),
)

UNIT_PRICE = (
    _t("unit_price", "pack_per_item", "{total}/{n}", (
        "A pack of {n} {item.pl} costs ${total}. What is the price of one {item}?",
        "{name} paid ${total} for a box of {n} {item.pl}. How much did each {item} cost?",
        "{name} bought a box of {n} {item.pl} for ${total}. If each {item} cost the same, how much was one "
        "{item}?",
    ), {"n": Num(2, 12), "unit": Num("0.25", "3", "0.05", kind="decimal")}, derived={"total": "{n}*{unit}"},
        words={"name": "names", "item": "school_items"}),
    _t("unit_price", "price_per_pound", "{cost}/{pounds}", (
        "{pounds} pounds of {produce} cost ${cost}. What is the price per pound?",
        "At the market, a {pounds}-pound bag of {produce} sells for ${cost}. How much is that per pound?",
        "A bag of {produce} weighing {pounds} pounds is priced at ${cost}. How much does one pound cost?",
    ), {"pounds": Num(2, 10), "cost": Num("3", "30", "0.50", kind="decimal")}, words={"produce": "produce_by_pound"},
        round_decimals=2),
    _t("unit_price", "scale_up", "{total}/{k}*{m}", (
        "{k} {item.pl} cost ${total}. At the same price, how much do {m} {item.pl} cost?",
        "If {name} can buy {k} {item.pl} for ${total}, how much would {m} {item.pl} cost?",
        "{name} paid ${total} for {k} {item.pl}. How much would {name} pay for {m} {item.pl} at that price?",
    ), {"k": Num(2, 8), "unit": Num("0.50", "5", "0.25", kind="decimal"), "m": Num(2, 20)},
        derived={"total": "{k}*{unit}"}, words={"name": "names", "item": "snacks"}, conditions=("{m} != {k}",)),
    _t("unit_price", "cost_by_weight", "{w}*{p}", (
        "Cheese sells for ${p} per kilogram. How much do {w} kilograms cost?",
        "{name} buys {w} kg of {produce} priced at ${p} per kilogram. How much does {name} pay?",
        "{produce.cap} cost ${p} a kilogram. If {name} buys {w} kilograms, what is the total cost?",
        "How much does {name} pay for {w} kg of {produce} if one kilogram costs ${p}?",
    ), {"w": Num("0.5", "5", "0.5", kind="decimal"), "p": Num("1.20", "12", "0.20", kind="decimal")},
        words={"name": "names", "produce": "produce_by_pound"}, round_decimals=2),
    _t("unit_price", "per_ounce", "{c}/{oz}", (
        "A {oz}-ounce bottle of shampoo costs ${c}. What is the cost per ounce?",
        "Shampoo comes in {oz}-ounce bottles that sell for ${c}. What does one ounce cost?",
        "A bottle holds {oz} ounces of shampoo and costs ${c}. How much does the shampoo cost per ounce?",
        "If ${c} buys {oz} ounces of shampoo, what is the price of one ounce?",
    ), {"oz": Num(8, 32, 4), "c": Num("2.50", "12", "0.25", kind="decimal")}, round_decimals=2),
    _t("unit_price", "dozen_to_some", "{c}/12*{n}", (
        "A dozen eggs costs ${c}. How much do {n} eggs cost at the same rate?",
        "Eggs are ${c} a dozen. What would {n} eggs cost?",
        "If 12 eggs cost ${c}, how much will {n} eggs cost?",
    ), {"u": Num("0.15", "0.6", "0.05", kind="decimal"), "n": Num(2, 30)}, derived={"c": "12*{u}"},
        conditions=("{n} != 12",)),
    _t("unit_price", "budget_count", "{budget}/{p}", (
        "Each {item} costs ${p}. How many {item.pl} can be bought with ${budget}?",
        "{name} has a budget of ${budget} for {item.pl} at ${p} apiece. How many can {name} buy?",
        "The price of one {item} is ${p}. If {name} spends all of ${budget} on them, how many {item.pl} does "
        "{name} get?",
    ), {"p": Num("1.50", "12", "0.50", kind="decimal"), "k": Num(2, 30)}, derived={"budget": "{p}*{k}"},
        words={"name": "names", "item": "crafts"}, answer_kind="integer"),
    _t("unit_price", "hourly_pay", "{pay}/{hours}", (
        "{name} earned ${pay} for {hours} hours of babysitting. How much did {name} earn per hour?",
        "For {hours} hours of work at the bakery, {name} was paid ${pay}. What is {name}'s hourly wage?",
        "{name} worked {hours} hours and made ${pay}. How much does {name} make per hour?",
    ), {"hours": Num(2, 12), "rate": Num(8, 25)}, derived={"pay": "{hours}*{rate}"}, words=_NAME),
)

DISCOUNT_PERCENT = (
    _t("discount_percent", "sale_price", "{price}*(1-{rate})", (
        "A {item} normally costs ${price}. It is on sale for {rate} off. What is the sale price?",
        "The {store} marks down a ${price} {item} by {rate}. How much does the {item} cost now?",
        "The regular price of {item.a} is ${price}. If the price is cut by {rate}, how much does it cost?",
    ), {"price": Num(20, 400, 5), "rate": Num(5, 50, 5, kind="percent")},
        words={"item": "gadgets", "store": "stores"}, round_decimals=2),
    _t("discount_percent", "discount_amount", "{price}*{rate}", (
        "A ${price} {item} is {rate} off. How many dollars does the discount save?",
        "During a sale, everything is {rate} off. How much does a shopper save on {item.a} that normally "
        "costs ${price}?",
        "The price tag on {item.a} reads ${price}, and the store gives {rate} off. How much money is saved?",
    ), {"price": Num(10, 300, 10), "rate": Num(5, 60, 5, kind="percent")}, words={"item": "clothes"},
        round_decimals=2),
    _t("discount_percent", "sales_tax", "{price}*(1+{tax})", (
        "{name} buys {item.a} priced at ${price}. Sales tax is {tax}. What is the total cost?",
        "The price tag on {item.a} says ${price}. Sales tax of {tax} is added at the register. How much does "
        "{name} pay?",
        "The price of {item.a} is ${price} before tax. The tax rate is {tax}. How much does {name} pay with "
        "tax?",
    ), {"price": Num(10, 200, 2), "tax": Num("4", "9", "0.5", kind="percent")},
        words={"name": "names", "item": "gadgets"}, round_decimals=2, clauses=(0, 2)),
    _t("discount_percent", "growth", "{n}*(1+{r})", (
        "{town} had {n} residents last year. The population grew by {r}. How many residents does it have now?",
        "Last year {n} people lived in {town}. This year there are {r} more. How many people live there now?",
        "The population of {town} was {n}. It went up by {r}. What is the population now?",
    ), {"n": Num(1000, 50000, 100), "r": Num(1, 20, kind="percent")}, words={"town": "towns"},
        answer_kind="integer"),
    _t("discount_percent", "percent_of_class", "{n}*{r}", (
        "There are {n} students in a school. {r} of them walk to school. How many students walk to school?",
        "Of the {n} children at a summer camp, {r} signed up for {sport}. How many children signed up?",
        "A school has {n} students, and {r} of them take the bus. How many students take the bus?",
    ), {"n": Num(20, 800, 20), "r": Num(5, 95, 5, kind="percent")}, words={"sport": "sports"},
        answer_kind="integer"),
    _t("discount_percent", "percent_change", "({new}-{old})/{old}*100", (
        "The price of {item.a} rose from ${old} to ${new}. By what percent did the price increase?",
        "Last year {item.a} cost ${old}. Now it costs ${new}. What is the percent increase in its price?",
        "The price of {item.a} used to be ${old}. It went up to ${new}. By what percent did the price go up?",
    ), {"old": Num(10, 200, 10), "new": Num(11, 300)}, words={"item": "gadgets"},
        conditions=("{new} > {old}", "{new} < 2*{old}"), round_decimals=2),
    _t("discount_percent", "two_discounts", "{price}*(1-{r1})*(1-{r2})", (
        "A {item} costs ${price}. The store takes {r1} off, and then {name} uses a coupon for a further {r2} "
        "off the reduced price. What does {name} pay?",
        "{name} wants {item.a} that costs ${price}. It is marked {r1} off, and at the register another {r2} "
        "is taken off the sale price. How much does {name} pay?",
        "A ${price} {item} gets a discount of {r1}. Then the discounted price is lowered by {r2} more. What "
        "is the final price?",
    ), {"price": Num(40, 400, 10), "r1": Num(10, 40, 5, kind="percent"), "r2": Num(5, 20, 5, kind="percent")},
        words={"name": "names", "item": "gadgets"}, round_decimals=2),
    _t("discount_percent", "tip", "{meal}*(1+{tip})", (
        "Dinner for {name}'s family costs ${meal}. They leave a tip of {tip} of the bill. How much do they pay "
        "in total?",
        "{name} pays for a ${meal} meal and adds a {tip} tip. What is the total, tip included?",
        "The bill at a restaurant comes to ${meal}. {name} adds a {tip} tip. How much does {name} pay "
        "altogether?",
    ), {"meal": Num(20, 160, 2), "tip": Num(10, 25, 5, kind="percent")}, words=_NAME, round_decimals=2),
    _t("discount_percent", "score_percent", "{right}/{total}*100", (
        "{name} answered {right} of {total} questions correctly on {subject.a} test. What percent did {name} "
        "get right?",
        "On {subject.a} quiz with {total} questions, {name} got {right} right. What percent of the questions "
        "did {name} answer correctly?",
        "There were {total} questions on {name}'s {subject} test and {name} got {right} of them right. What "
        "percentage is that?",
    ), {"total": Num(20, 50, 5), "right": Num(10, 50)}, words={"name": "names", "subject": "subjects"},
        conditions=("{right} < {total}",), round_decimals=2),
    _t("discount_percent", "fraction_as_percent", "{f}*100", (
        "{f} of the seats in a theater are full. What percent of the seats are full?",
        "{f} of the students in a club are in fifth grade. What percent is that?",
        "{f} of a pizza was eaten. What percent of the pizza was eaten?",
        "Write {f} as a percent.",
    ), {"f": Num(2, 10, kind="fraction")}, round_decimals=2),
)

INTEREST = (
    _t("interest", "simple_interest", "{p}*{r}*{t}", (
        "{name} deposits ${p} in a savings account that pays {r} simple interest per year. How much interest "
        "does {name} earn in {t} years?",
        "How much simple interest does ${p} earn in {t} years at an annual rate of {r}?",
        "If {name} saves ${p} in a bank for {t} years at a simple interest rate of {r} per year, how much "
        "interest will {name} earn?",
    ), {"p": Num(100, 5000, 100), "r": Num("1", "8", "0.5", kind="percent"), "t": Num(2, 6)}, words=_NAME,
        round_decimals=2),
    _t("interest", "simple_total", "{p}*(1+{r}*{t})", (
        "{name} invests ${p} at {r} simple interest per year. How much is the investment worth after {t} years?",
        "${p} is put into an account earning {r} simple interest a year. What is the balance after {t} years?",
        "{name} puts ${p} in the bank at a yearly simple interest rate of {r}. How much money will {name} "
        "have in {t} years?",
    ), {"p": Num(200, 10000, 100), "r": Num(2, 9, kind="percent"), "t": Num(2, 10)}, words=_NAME,
        round_decimals=2),
    _t("interest", "compound_two_years", "{p}*(1+{r})^2", (
        "A bank pays {r} interest, compounded once a year. If {name} deposits ${p}, how much will be in the "
        "account after 2 years?",
        "{name} puts ${p} in a savings account that earns {r} a year, compounded annually. What is the "
        "balance at the end of 2 years?",
        "{name} deposits ${p} at {r} per year, compounded yearly. How much money is in the account 2 years "
        "later?",
    ), {"p": Num(100, 5000, 100), "r": Num(1, 10, kind="percent")}, words=_NAME, round_decimals=2),
    _t("interest", "compound_three_years", "{p}*(1+{r})^3", (
        "${p} is invested at {r} a year, with the interest added at the end of each year. What is it worth "
        "after 3 years?",
        "A savings bond bought for ${p} grows by {r} each year, compounded yearly. How much is it worth after "
        "3 years?",
        "An investment of ${p} earns {r} interest compounded every year. How much will it be worth at the end"
        " of 3 years?",
    ), {"p": Num(1000, 8000, 500), "r": Num(2, 8, kind="percent")}, round_decimals=2),
    _t("interest", "monthly_interest", "{p}*{r}/12*{m}", (
        "A loan of ${p} charges {r} simple interest per year. How much interest is charged for {m} months?",
        "{name} borrows ${p} at a simple interest rate of {r} a year and pays it back after {m} months. How "
        "much interest does {name} owe?",
        "How much simple interest is owed on ${p} borrowed for {m} months at a yearly rate of {r}?",
    ), {"p": Num(600, 12000, 600), "r": Num(3, 12, kind="percent"), "m": Num(2, 11)}, words=_NAME,
        round_decimals=2),
    _t("interest", "principal_from_interest", "{i}/({r}*{t})", (
        "An account paying {r} simple interest a year earned ${i} of interest in {t} years. How much money was "
        "deposited?",
        "After {t} years at {r} simple interest per year, a deposit has earned ${i} in interest. How large "
        "was the deposit?",
        "How much money must be put in an account at {r} simple interest per year to earn ${i} in {t} years?",
    ), {"p": Num(200, 6000, 100), "r": Num(2, 8, kind="percent"), "t": Num(2, 5)},
        derived={"i": "{p}*{r}*{t}"}),
    _t("interest", "loan_payments", "{p}*(1+{r}*{t})/{n}", (
        "{name} borrows ${p} at {r} simple interest per year for {t} years and repays the loan and the interest "
        "in {n} equal payments. How much is each payment?",
        "A ${p} loan charges {r} simple interest a year for {t} years. The loan plus interest is paid back in "
        "{n} equal monthly payments. What is each payment?",
        "{name} takes out a loan of ${p} for {t} years at a simple interest rate of {r} per year. If {name} "
        "pays back everything owed in {n} equal payments, how much is one payment?",
    ), {"p": Num(500, 10000, 500), "r": Num(3, 10, kind="percent"), "t": Num(2, 4), "n": Num(6, 36, 6)},
        words=_NAME, round_decimals=2),
)

SPEED_TIME_DISTANCE = (
    _t("speed_time_distance", "distance", "{v}*{t}", (
        "A {vehicle} travels at {v} km/h for {t} hours. How far does it go?",
        "{name} rides in a {vehicle} that keeps a steady {v} km per hour. How many kilometers does it cover in "
        "{t} hours?",
        "If a {vehicle} goes {v} km every hour, how many kilometers will it travel in {t} hours?",
    ), {"v": Num(30, 120, 5), "t": Num("0.5", "6", "0.5", kind="decimal")}, words={"name": "names",
                                                                                "vehicle": "vehicles"}),
    _t("speed_time_distance", "time", "{d}/{v}", (
        "A {vehicle} drives {d} km at {v} km/h. How many hours does the trip take?",
        "The distance from {town1} to {town2} is {d} kilometers. How long does a {vehicle} going {v} km per hour "
        "need for the trip?",
        "How many hours will it take a {vehicle} going {v} km/h to travel {d} km?",
    ), {"v": Num(40, 120, 10), "t": Num("0.5", "8", "0.5", kind="decimal")}, derived={"d": "{v}*{t}"},
        words={"vehicle": "vehicles", "town1": "towns", "town2": "towns"}),
    _t("speed_time_distance", "speed", "{d}/{t}", (
        "A {mover} covers {d} km in {t} hours. What is the average speed in km/h?",
        "It takes a {mover} {t} hours to travel {d} km. What is the average speed?",
        "A {mover} traveled {d} km in {t} hours. How many kilometers did the {mover} go each hour on average?",
    ), {"t": Num(2, 8), "v": Num("4", "30", "0.5", kind="decimal")}, derived={"d": "{v}*{t}"},
        words={"mover": "slow_movers"}),
    _t("speed_time_distance", "two_legs", "{v1}*{t1}+{v2}*{t2}", (
        "{name} drives for {t1} hours at {v1} km/h and then for {t2} hours at {v2} km/h. How far does {name} "
        "drive altogether?",
        "On a road trip, {name} drives {t1} hours at {v1} km/h, then {t2} hours more at {v2} km/h. What is "
        "the total distance?",
        "On Monday {name} drove {t1} hours at {v1} km/h. On Tuesday {name} drove {t2} hours at {v2} km/h. How"
        " many kilometers did {name} drive in the two days?",
    ), {"v1": Num(40, 110, 5), "t1": Num(2, 5), "v2": Num(30, 100, 5), "t2": Num("0.5", "3", "0.5", kind="decimal")},
        words=_NAME),
    _t("speed_time_distance", "meeting", "{d}/({v1}+{v2})", (
        "Two {vehicle.pl} start at the same time from {town1} and {town2}, {d} km apart, and drive toward each "
        "other at {v1} km/h and {v2} km/h. After how many hours do they meet?",
        "{town1} and {town2} are {d} km apart. A {vehicle} leaves {town1} at {v1} km/h and at the same time "
        "another leaves {town2} at {v2} km/h, heading toward it. In how many hours will they meet?",
        "How long until two {vehicle.pl} {d} km apart meet if they head toward each other at {v1} km/h and "
        "{v2} km/h?",
    ), {"v1": Num(40, 100, 5), "v2": Num(40, 100, 5), "t": Num("0.5", "5", "0.5", kind="decimal")},
        derived={"d": "({v1}+{v2})*{t}"}, words={"vehicle": "vehicles", "town1": "towns", "town2": "towns"}),
    _t("speed_time_distance", "catch_up", "{gap}/({v1}-{v2})", (
        "A {mover} sets off {gap} km ahead of {name} and keeps a steady {v2} km/h. {name} follows by bike at {v1} "
        "km/h. "
        "How many hours does it take {name} to catch up?",
        "{name} starts {gap} km behind a {mover}. The {mover} moves at {v2} km/h and {name} at {v1} km/h. "
        "After how many hours does {name} catch up?",
        "A {mover} going {v2} km/h has a {gap} km head start on {name}, who rides at {v1} km/h. How long will"
        " it take {name} to catch the {mover}?",
    ), {"v1": Num(12, 30), "v2": Num(4, 12), "t": Num("0.5", "3", "0.5", kind="decimal")},
        derived={"gap": "({v1}-{v2})*{t}"}, words={"name": "names", "mover": "slow_movers"},
        conditions=("{v1} > {v2}",)),
    _t("speed_time_distance", "average_speed", "({d1}+{d2})/({t1}+{t2})", (
        "A {vehicle} goes {d1} km in {t1} hours and then {d2} km in {t2} hours. What is its average speed for "
        "the whole trip?",
        "On the first part of a trip a {vehicle} covers {d1} km in {t1} hours. On the second part it covers "
        "{d2} km in {t2} hours. What is the average speed over the whole trip?",
        "A {vehicle} traveled {d1} km in {t1} hours and then {d2} km in {t2} hours. What was its average "
        "speed over the whole trip?",
    ), {"d1": Num(50, 300, 10), "t1": Num(2, 5), "d2": Num(50, 300, 10), "t2": Num(2, 5)},
        words={"vehicle": "vehicles"}, round_decimals=2),
    _t("speed_time_distance", "minutes", "{v}*{m}/60", (
        "{name} jogs at {v} km/h for {m} minutes. How many kilometers does {name} run?",
        "{name} runs at a steady {v} km per hour. How far does {name} get in {m} minutes?",
        "If {name} runs for {m} minutes at {v} km/h, how far does {name} go?",
    ), {"v": Num(6, 15), "m": Num(10, 90, 5)}, words=_NAME, round_decimals=2),
    _t("speed_time_distance", "round_trip_time", "2*{d}/{v}", (
        "{name} cycles to {place}, {d} km away, and back at {v} km/h. How many hours does the round trip take?",
        "{place} is {d} km from {name}'s house. If {name} bikes there and back at {v} km/h, how long does the "
        "trip take in hours?",
        "It is {d} km from {name}'s house to {place}. {name} rides there and back at {v} km/h. How many hours"
        " does {name} spend riding?",
    ), {"d": Num(3, 40), "v": Num(8, 20)}, words={"name": "names", "place": "places"}, round_decimals=2),
)

WORK_RATE = (
    _t("work_rate", "together", "1/(1/{a}+1/{b})", (
        "{name1} can paint the {task} in {a} hours, and {name2} can paint it in {b} hours. How many hours do they "
        "need working together?",
        "Working alone, {name1} needs {a} hours to clean the {task}, and {name2} needs {b} hours. How long "
        "will it take them working together?",
        "{name1} takes {a} hours to clean the {task}. {name2} takes {b} hours. If they clean it together, how"
        " long will it take?",
    ), {"a": Num(2, 12), "b": Num(2, 12)}, words={"name1": "names", "name2": "names", "task": "tasks"},
        round_decimals=2),
    _t("work_rate", "pages_time", "{pages}/{rate}", (
        "An office printer prints {rate} pages a minute. How many minutes does it take to print {pages} pages?",
        "A copier makes {rate} copies every minute. How long will it take to make {pages} copies?",
        "How many minutes will a printer need to print {pages} pages if it prints {rate} pages per minute?",
    ), {"rate": Num(5, 60, 5), "m": Num(2, 40)}, derived={"pages": "{rate}*{m}"}),
    _t("work_rate", "machines_output", "{r}*{h}*{k}", (
        "A factory has {k} machines. Each machine makes {r} {item.pl} an hour. How many {item.pl} do they make in "
        "{h} hours?",
        "Each of {k} machines in a workshop turns out {r} {item.pl} per hour. How many {item.pl} are made in "
        "a {h}-hour shift?",
        "There are {k} machines, and each one makes {r} {item.pl} every hour. How many {item.pl} do the "
        "machines make in {h} hours in all?",
    ), {"r": Num(10, 200, 5), "h": Num(2, 12), "k": Num(2, 9)}, words={"item": "toys"}),
    _t("work_rate", "days_left", "({total}-{d}*{k})/{d}", (
        "A crew must lay {total} meters of pipe. They lay {d} meters a day and have worked for {k} days. How many "
        "more days do they need?",
        "A road crew has to pave {total} meters of road. After {k} days of paving {d} meters a day, how many "
        "more days of work are left?",
        "A team has to build {total} meters of fence. They build {d} meters each day. After {k} days, how "
        "many days of work are still left?",
    ), {"d": Num(20, 150, 10), "n": Num(5, 30), "k": Num(2, 20)}, derived={"total": "{d}*{n}"},
        conditions=("{k} < {n}",)),
    _t("work_rate", "fill_and_drain", "{v}/({a}-{b})", (
        "A tank holds {v} liters. A pipe fills it at {a} liters a minute while a leak drains {b} liters a "
        "minute. How many minutes does it take to fill the empty tank?",
        "Water flows into an empty {v}-liter tank at {a} liters per minute, but {b} liters per minute leak "
        "out. How long until the tank is full?",
        "A {v}-liter tank is empty. Water runs in at {a} liters per minute and leaks out at {b} liters per "
        "minute. How many minutes until it is full?",
    ), {"a": Num(10, 60), "b": Num(2, 9), "m": Num(5, 60)}, derived={"v": "({a}-{b})*{m}"},
        conditions=("{a} > {b}",)),
    _t("work_rate", "two_workers", "({a}+{b})*{h}", (
        "{name1} can pack {a} boxes an hour and {name2} can pack {b} boxes an hour. How many boxes do they pack "
        "together in {h} hours?",
        "In one hour {name1} packs {a} boxes and {name2} packs {b} boxes. Working side by side for {h} hours, "
        "how many boxes do they pack?",
        "{name1} packs {a} boxes every hour and {name2} packs {b}. How many boxes have they packed altogether"
        " after {h} hours?",
    ), {"a": Num(5, 40), "b": Num(5, 40), "h": Num(2, 8)}, words={"name1": "names", "name2": "names"}),
    _t("work_rate", "fraction_left", "1-{k}/{n}", (
        "A {worker} can finish a job alone in {n} days. What part of the job is left after {k} days of work? Give "
        "it as a decimal.",
        "A job takes a {worker} {n} days to finish. After working on it for {k} days, what fraction of the "
        "job is still left, as a decimal?",
        "A {worker} needs {n} days for a job and has worked {k} days so far. How much of the job remains? "
        "Write it as a decimal.",
    ), {"n": Num(3, 20), "k": Num(2, 19)}, words={"worker": "workers"}, conditions=("{k} < {n}",),
        round_decimals=2),
    _t("work_rate", "typing", "{words}/{wpm}", (
        "{name} types {wpm} words per minute. How long does it take {name} to type an essay of {words} words?",
        "An essay is {words} words long. If {name} types {wpm} words a minute, how many minutes will typing "
        "it take?",
        "How many minutes will it take {name} to type {words} words at {wpm} words per minute?",
    ), {"wpm": Num(20, 80, 5), "m": Num(3, 40)}, derived={"words": "{wpm}*{m}"}, words=_NAME),
)

RATIO_FRACTION = (
    _t("ratio_fraction", "fraction_of_whole", "{f}*{total}", (
        "There are {total} {item.pl} in a basket. {f} of them are ripe. How many are ripe?",
        "{name} has {total} {item.pl} and gives away {f} of them. How many {item.pl} does {name} give away?",
        "A basket holds {total} {item.pl}. If {f} of the {item.pl} are green, how many {item.pl} are green?",
    ), {"f": Num(2, 10, kind="fraction"), "total": Num(10, 200)}, words={"name": "names", "item": "fruits"},
        answer_kind="integer"),
    _t("ratio_fraction", "fraction_remaining", "{total}*(1-{f})", (
        "{name} had ${total} and spent {f} of it on {item.pl}. How much money is left?",
        "{name} got ${total} for a birthday and used {f} of it to buy {item.pl}. How much money does {name} "
        "still have?",
        "{name} had ${total}. {name} spent {f} of the money on {item.pl}. How much money does {name} have "
        "left?",
    ), {"f": Num(2, 10, kind="fraction"), "total": Num(20, 400, 4)}, words={"name": "names", "item": "books"}),
    _t("ratio_fraction", "ratio_split", "{total}/({a}+{b})*{a}", (
        "{name1} and {name2} share {total} {item.pl} in the ratio {a}:{b}. How many does {name1} get?",
        "{total} {item.pl} are divided between {name1} and {name2} in the ratio {a} to {b}. How many {item.pl} "
        "does {name1} receive?",
        "The ratio of {name1}'s {item.pl} to {name2}'s {item.pl} is {a}:{b}. Together they have {total}. How "
        "many {item.pl} does {name1} have?",
    ), {"a": Num(1, 9), "b": Num(1, 9), "k": Num(2, 25)}, derived={"total": "({a}+{b})*{k}"},
        words={"name1": "names", "name2": "names", "item": "stickers"}, conditions=("{a} != {b}",)),
    _t("ratio_fraction", "ratio_from_part", "{g}/{b}*{a}", (
        "The ratio of boys to girls in a {group} is {a}:{b}. There are {g} girls. How many boys are there?",
        "In a {group}, there are {a} boys for every {b} girls. The {group} has {g} girls. How many boys does "
        "it have?",
        "A {group} has {g} girls. For every {b} girls there are {a} boys. How many boys are in the {group}?",
    ), {"a": Num(1, 9), "b": Num(1, 9), "k": Num(2, 12)}, derived={"g": "{b}*{k}"}, words={"group": "groups"},
        conditions=("{a} != {b}",), clauses=(0, 2)),
    _t("ratio_fraction", "spend_then_spend", "{m}*(1-{f1})*(1-{f2})", (
        "{name} had ${m}. {name} spent {f1} of it on {item.pl} and then {f2} of what was left on snacks. How "
        "much money does {name} have now?",
        "{name} starts with ${m}, spends {f1} of it on {item.pl}, and then spends {f2} of the remaining money "
        "on lunch. How much is left?",
        "{name} got ${m}. First {name} spent {f1} of it on {item.pl}. Then {name} spent {f2} of the money "
        "that was left on snacks. How much money was left in the end?",
    ), {"m": Num(40, 600, 20), "f1": Num(2, 5, kind="fraction"), "f2": Num(2, 5, kind="fraction")},
        words={"name": "names", "item": "clothes"}, round_decimals=2),
    _t("ratio_fraction", "ratio_difference", "{d}/({a}-{b})*({a}+{b})", (
        "Red and blue marbles are in the ratio {a}:{b}. There are {d} more red marbles than blue ones. How many "
        "marbles are there in all?",
        "A bag holds red and green apples in the ratio {a} to {b}. There are {d} more red apples than green "
        "apples. How many apples are in the bag?",
        "In a jar, the ratio of red candies to blue candies is {a}:{b}. There are {d} more red candies than "
        "blue candies. How many candies are in the jar altogether?",
    ), {"a": Num(2, 9), "b": Num(1, 8), "k": Num(2, 15)}, derived={"d": "({a}-{b})*{k}"},
        conditions=("{a} > {b}",)),
    _t("ratio_fraction", "recipe_scale", "{c}/{s}*{n}", (
        "A recipe uses {c} cups of flour for {s} servings. How many cups are needed for {n} servings?",
        "To make {s} servings of soup, a cook uses {c} cups of broth. How many cups of broth does the cook "
        "need for {n} servings?",
        "For {s} servings of pancakes you need {c} cups of milk. How much milk do you need for {n} servings?",
    ), {"c": Num("0.5", "6", "0.5", kind="decimal"), "s": Num(2, 12), "n": Num(2, 40)},
        conditions=("{n} != {s}",), round_decimals=2),
    _t("ratio_fraction", "fraction_of_fraction", "{n}*{f1}*{f2}", (
        "A school has {n} students. {f1} of them play a sport, and {f2} of those play {sport}. How many "
        "students play {sport}?",
        "Of the {n} students at a school, {f1} ride the bus. {f2} of the bus riders sit near the front. How "
        "many students sit near the front?",
        "There are {n} students at a school. {f1} of them are in the band, and {f2} of the band members play "
        "drums. How many students play drums?",
    ), {"n": Num(60, 1200, 60), "f1": Num(2, 6, kind="fraction"), "f2": Num(2, 6, kind="fraction")},
        words={"sport": "sports"}, answer_kind="integer"),
)

SHARING_GROUPING = (
    _t("sharing_grouping", "equal_share", "{total}/{k}", (
        "{name} shares {total} {item.pl} equally among {k} friends. How many does each friend get?",
        "{total} {item.pl} are split evenly into {k} bags. How many {item.pl} go in each bag?",
        "There are {total} {item.pl} to be put into {k} equal piles. How many {item.pl} will be in each pile?",
    ), {"k": Num(2, 12), "each": Num(2, 30)}, derived={"total": "{k}*{each}"},
        words={"name": "names", "item": "stickers"}),
    _t("sharing_grouping", "left_over", "{total}-{k}*{n}", (
        "{name} has {total} {item.pl} and gives {k} to each of {n} classmates. How many {item.pl} are left?",
        "{name} brings {total} {item.pl} to class and hands out {k} to each of {n} classmates. How many "
        "{item.pl} does {name} have left?",
        "{name} had {total} {item.pl}. {name} gave {n} friends {k} {item.pl} each. How many {item.pl} does "
        "{name} have now?",
    ), {"total": Num(30, 200), "k": Num(2, 9), "n": Num(3, 25)}, words={"name": "names", "item": "stickers"},
        conditions=("{total} > {k}*{n}",)),
    _t("sharing_grouping", "boxes_needed", "{total}/{s}", (
        "A bakery packs {total} {item.pl} into boxes of {s}. How many boxes does it fill?",
        "{total} {item.pl} need to be packed, {s} to a box. How many boxes are needed?",
        "Each box holds {s} {item.pl}. How many boxes are needed to pack {total} {item.pl}?",
    ), {"s": Num(4, 12), "b": Num(3, 40)}, derived={"total": "{s}*{b}"}, words={"item": "snacks"}),
    _t("sharing_grouping", "share_money", "{m}/{k}", (
        "{k} friends split a bill of ${m} equally. How much does each friend pay?",
        "The bill for lunch comes to ${m}, and {k} friends share it evenly. What is each friend's share?",
        "A ${m} dinner bill is shared equally by {k} people. How much does each person pay?",
        "If {k} people split ${m} evenly, how much does each one get?",
    ), {"m": Num("12", "150", "0.50", kind="decimal"), "k": Num(2, 8)}, round_decimals=2),
    _t("sharing_grouping", "rows_of_chairs", "{r}*{c}+{e}", (
        "For the {event}, chairs are set out in {r} rows of {c}, with {e} extra chairs at the back. How many "
        "chairs are there?",
        "There are {r} rows with {c} seats in each row in a hall, plus {e} folding chairs. How many seats are "
        "there in all?",
        "There are {r} rows of chairs at the {event} with {c} chairs in each row, and {e} more chairs by the "
        "door. How many chairs are there in all?",
    ), {"r": Num(3, 25), "c": Num(4, 20), "e": Num(2, 15)}, words={"event": "events"}),
    _t("sharing_grouping", "teams_equipment", "{n}/{s}*{b}", (
        "{n} students are split into teams of {s}. Each team gets {b} balls. How many balls are needed?",
        "A coach divides {n} players into teams of {s} and gives every team {b} balls. How many balls does "
        "the coach hand out?",
        "A coach puts {n} students into teams of {s} and gives each team {b} balls. How many balls does the "
        "coach hand out?",
        "How many balls are needed if {n} children form teams of {s} and every team gets {b} balls?",
    ), {"s": Num(3, 8), "t": Num(2, 12), "b": Num(2, 5)}, derived={"n": "{s}*{t}"}),
    _t("sharing_grouping", "bags_shared", "{n}*{k}/{p}", (
        "{name} buys {n} bags of {item.pl} with {k} in each bag and shares them equally among {p} children. How "
        "many does each child get?",
        "There are {n} bags with {k} {item.pl} each. {name} divides all of them evenly among {p} children. "
        "How many {item.pl} does each child get?",
        "There are {n} bags with {k} {item.pl} in each. If the {item.pl} are shared equally by {p} kids, how "
        "many does each kid get?",
    ), {"n": Num(2, 10), "k": Num(4, 24), "p": Num(2, 12)}, words={"name": "names", "item": "snacks"},
        conditions=("{p} | {n}*{k}",)),
    _t("sharing_grouping", "tables", "{guests}/{per}", (
        "{guests} guests are coming to a party, and each table seats {per}. How many tables are needed if every "
        "table is full?",
        "A restaurant seats {per} people at each table. How many tables are needed to seat {guests} people "
        "with no empty seats?",
        "Each table at a wedding seats {per} people. If {guests} guests come and every seat is filled, how "
        "many tables are used?",
        "How many tables of {per} are needed to seat {guests} guests with no empty seats?",
    ), {"per": Num(4, 10), "t": Num(2, 30)}, derived={"guests": "{per}*{t}"}),
)

AVERAGE = (
    _t("average", "three_scores", "({a}+{b}+{c})/3", (
        "{name} scored {a}, {b} and {c} on three {subject} quizzes. What is the average score?",
        "On three {subject} tests, {name} got {a}, {b} and {c}. What is {name}'s mean score?",
        "On three {subject} tests {name} got {a}, {b} and {c} points. What is {name}'s mean score?",
    ), {"a": Num(50, 100), "b": Num(50, 100), "c": Num(50, 100)}, words={"name": "names", "subject": "subjects"},
        round_decimals=2),
    _t("average", "four_days", "({a}+{b}+{c}+{d})/4", (
        "A shop sold {a}, {b}, {c} and {d} {item.pl} on four days. What is the average number sold per day?",
        "Over four days, a stand sold {a}, {b}, {c} and {d} {item.pl}. On average, how many did it sell each "
        "day?",
        "Over four days a bakery sold {a}, {b}, {c} and {d} {item.pl}. On average, how many did it sell each "
        "day?",
    ), {"a": Num(10, 90), "b": Num(10, 90), "c": Num(10, 90), "d": Num(10, 90)}, words={"item": "snacks"}),
    _t("average", "missing_score", "{m}*4-({a}+{b}+{c})", (
        "{name} wants an average of {m} on four tests. The first three scores are {a}, {b} and {c}. What score "
        "does {name} need on the fourth test?",
        "{name}'s first three test scores are {a}, {b} and {c}. There is one more test. What must {name} "
        "score on it to average {m} over all four?",
    ), {"m": Num(70, 90), "a": Num(60, 100), "b": Num(60, 100), "c": Num(60, 100)}, words=_NAME,
        conditions=("{m}*4-({a}+{b}+{c}) <= 100",), clauses=(0, 2)),
    _t("average", "five_runs", "({a}+{b}+{c}+{d}+{e})/5", (
        "{name} ran {a} km, {b} km, {c} km, {d} km and {e} km on five mornings. What is the average distance?",
        "In one week {name} swam {a}, {b}, {c}, {d} and {e} laps on five days. What is the average number of "
        "laps per day?",
        "{name} ran five times this week: {a} km, {b} km, {c} km, {d} km and {e} km. What was the mean "
        "distance of a run?",
    ), {"a": Num(2, 12), "b": Num(2, 12), "c": Num(2, 12), "d": Num(2, 12), "e": Num(2, 12)}, words=_NAME),
    _t("average", "average_price", "({n1}*{p1}+{n2}*{p2})/({n1}+{n2})", (
        "{name} bought {n1} {item.pl} at ${p1} each and {n2} more at ${p2} each. What was the average price per "
        "{item}?",
        "{name} paid ${p1} each for {n1} {item.pl} and ${p2} each for {n2} other {item.pl}. What is the "
        "average cost per {item}?",
        "{name} paid ${p1} each for {n1} {item.pl} and ${p2} each for another {n2}. What was the average cost"
        " of one {item}?",
    ), {"n1": Num(2, 10), "p1": Num(2, 15), "n2": Num(2, 10), "p2": Num(2, 15)}, words={"name": "names",
                                                                                      "item": "books"},
        conditions=("{p1} != {p2}",), round_decimals=2),
    _t("average", "two_groups", "({n1}*{a1}+{n2}*{a2})/({n1}+{n2})", (
        "In a class, {n1} students averaged {a1} points and the other {n2} students averaged {a2} points. What "
        "is the average for the whole class?",
        "A test was taken by {n1} students in one room, with an average of {a1}, and by {n2} students in "
        "another room, with an average of {a2}. What is the overall average score?",
        "{n1} girls have an average score of {a1}, and {n2} boys have an average score of {a2}. What is the "
        "average score of all the children?",
        "One group of {n1} students has a mean score of {a1}. Another group of {n2} students has a mean of "
        "{a2}. What is the mean score of both groups together?",
    ), {"n1": Num(5, 20), "a1": Num(60, 95), "n2": Num(5, 20), "a2": Num(60, 95)}, round_decimals=2),
    _t("average", "new_member", "({a}*{n}+{s})/({n}+1)", (
        "The average height of {n} players is {a} cm. A new player who is {s} cm tall joins. What is the new "
        "average height?",
        "{n} students have an average height of {a} cm. Then a student who is {s} cm tall joins them. What is "
        "their new average height?",
        "{n} players on a team have an average height of {a} cm. When a player {s} cm tall joins, what is the"
        " team's average height?",
    ), {"n": Num(4, 15), "a": Num(150, 190), "s": Num(150, 200)}, round_decimals=2),
    _t("average", "total_from_average", "{a}*{n}", (
        "The average weight of {n} {item.pl} is {a} grams. What is their total weight?",
        "{n} {item.pl} have an average weight of {a} grams. How much do they weigh together?",
        "{n} {item.pl} weigh {a} grams each on average. How many grams do they weigh in all?",
    ), {"n": Num(3, 30), "a": Num("50", "300", "2.5", kind="decimal")}, words={"item": "fruits"}),
)

AGES = (
    _t("ages", "sum_in_future", "{a}+{b}+2*{y}", (
        "{name1} is {a} years old and {name2} is {b}. What will the sum of their ages be in {y} years?",
        "Right now {name1} is {a} and {name2} is {b}. In {y} years, what will their ages add up to?",
        "In {y} years, how old will {name1} and {name2} be together if {name1} is {a} now and {name2} is {b} "
        "now?",
    ), {"a": Num(3, 18), "b": Num(3, 18), "y": Num(2, 10)}, words={"name1": "names", "name2": "names"}),
    _t("ages", "times_older", "{c}*{k}+{y}", (
        "{name} is {c} years old. {name}'s {relative} is {k} times as old. How old will {name}'s {relative} be "
        "in {y} years?",
        "{name}'s {relative} is {k} times as old as {name}, who is {c}. How old will the {relative} be {y} "
        "years from now?",
        "{name}'s {relative} is {k} times as old as {name}, who is {c}. How old will the {relative} be {y} "
        "years from now?",
    ), {"c": Num(4, 12), "k": Num(3, 6), "y": Num(2, 10)}, words={"name": "names", "relative": "relatives"},
        conditions=("{c}*{k} >= 20", "{c}*{k} <= 60")),
    _t("ages", "age_when_born", "{a}-{b}", (
        "{name1} is {a} years old and {name2} is {b}. How old was {name1} when {name2} was born?",
        "{name1} is {a} and {name2} is {b}. How old was {name1} in the year {name2} was born?",
        "{name1} is {a} and {name2} is {b}. How old was {name1} in the year {name2} was born?",
    ), {"a": Num(8, 40), "b": Num(1, 20)}, words={"name1": "names", "name2": "names"}, conditions=("{a} > {b}",)),
    _t("ages", "years_ago", "{p}-{y}", (
        "{name}'s {grandparent} is {p} years old. How old was {name}'s {grandparent} {y} years ago?",
        "{name}'s {grandparent} turned {p} this year. How old was the {grandparent} {y} years ago?",
        "{name}'s {grandparent} is {p} now. What was the {grandparent}'s age {y} years ago?",
    ), {"p": Num(60, 95), "y": Num(5, 30)}, words={"name": "names", "grandparent": "grandparents"}),
    _t("ages", "from_birth_year", "{now}-{born}", (
        "{name} was born in {born}. How old is {name} on the birthday in {now}?",
        "If {name} was born in {born}, how old will {name} turn in {now}?",
        "How old does {name} turn in {now} if {name} was born in {born}?",
    ), {"born": Num(1950, 2015), "now": Num(2020, 2030)}, words=_NAME),
    _t("ages", "family_total", "{a}+{b}+{c}+3*{y}", (
        "{name}'s family has three children aged {a}, {b} and {c}. What will their combined age be in {y} "
        "years?",
        "Three cousins are {a}, {b} and {c} years old. What will the total of their ages be {y} years from "
        "now?",
        "Three siblings are {a}, {b} and {c} years old. What will the total of their ages be {y} years from "
        "now?",
    ), {"a": Num(1, 16), "b": Num(1, 16), "c": Num(1, 16), "y": Num(2, 10)}, words=_NAME),
    _t("ages", "fraction_of_parent", "{p}*{f}+{y}", (
        "{name}'s {relative} is {p} years old, and {name} is {f} of that age. How old will {name} be in {y} "
        "years?",
        "{name} is {f} as old as {name}'s {relative}, who is {p}. How old will {name} be in {y} years?",
        "{name} is {f} as old as {name}'s {relative}, who is {p}. How old will {name} be {y} years from now?",
    ), {"f": Num(2, 6, kind="fraction"), "p": Num(24, 60), "y": Num(2, 9)},
        words={"name": "names", "relative": "relatives"}, conditions=("{p}*{f} <= 16",), answer_kind="integer"),
    _t("ages", "difference_stays", "{b}+({a2}-{a})", (
        "{name1} is {a} and {name2} is {b}. When {name1} is {a2}, how old will {name2} be?",
        "{name1} is {a} years old and {name2} is {b} years old. How old will {name2} be when {name1} turns "
        "{a2}?",
        "{name2} is {b} years old and {name1} is {a}. How old will {name2} be when {name1} turns {a2}?",
    ), {"a": Num(5, 20), "b": Num(2, 15), "a2": Num(21, 40)}, words={"name1": "names", "name2": "names"}),
)

GEOMETRY = (
    _t("geometry", "rectangle_area", "{l}*{w}", (
        "A rectangular garden is {l} m long and {w} m wide. What is its area in square meters?",
        "{name}'s bedroom floor is a rectangle {l} meters by {w} meters. How many square meters of carpet cover "
        "it exactly?",
        "What is the area of a rectangle that is {l} m long and {w} m wide?",
    ), {"l": Num(3, 40), "w": Num(2, 30)}, words=_NAME, conditions=("{l} >= {w}",)),
    _t("geometry", "rectangle_perimeter", "2*({l}+{w})", (
        "A rectangular field is {l} m long and {w} m wide. How many meters of fence go around it?",
        "A rectangle has a length of {l} m and a width of {w} m. What is its perimeter?",
        "What is the perimeter of a rectangle {l} m long and {w} m wide?",
    ), {"l": Num(5, 200), "w": Num(5, 150)}, conditions=("{l} > {w}",)),
    _t("geometry", "square_perimeter", "4*{s}", (
        "A square picture frame has sides of {s} cm. What is its perimeter?",
        "How much ribbon is needed to go once around a square card with {s} cm sides?",
        "Each side of a square is {s} cm. How far is it all the way around the square?",
    ), {"s": Num("5", "60", "0.5", kind="decimal")}),
    _t("geometry", "box_volume", "{l}*{w}*{h}", (
        "A box is {l} cm long, {w} cm wide and {h} cm high. What is its volume in cubic centimeters?",
        "A fish tank is {l} cm long, {w} cm wide and {h} cm deep. How many cubic centimeters of water fill "
        "it?",
        "How many cubic centimeters of sand fill a box that is {l} cm long, {w} cm wide and {h} cm tall?",
    ), {"l": Num(5, 60), "w": Num(5, 40), "h": Num(3, 30)}),
    _t("geometry", "fence_cost", "2*({l}+{w})*{p}", (
        "Fencing costs ${p} per meter. How much does it cost to fence a rectangular yard {l} m by {w} m?",
        "A rectangular yard measures {l} m by {w} m. Fencing costs ${p} per meter. What is the cost of "
        "fencing the whole yard?",
        "A rectangular yard is {l} m long and {w} m wide. Fencing is ${p} a meter. How much will it cost to "
        "put a fence all around the yard?",
    ), {"l": Num(5, 60), "w": Num(5, 40), "p": Num("2.50", "15", "0.50", kind="decimal")}),
    _t("geometry", "tiles", "({l}*{w})/({s}*{s})", (
        "A floor is {l} cm by {w} cm. How many square tiles with {s} cm sides are needed to cover it?",
        "Square tiles {s} cm on a side are used to cover a rectangular floor {l} cm long and {w} cm wide. How "
        "many tiles are used?",
        "Square tiles are {s} cm on each side. How many tiles cover a floor that measures {l} cm by {w} cm?",
    ), {"s": Num(10, 50, 5), "a": Num(4, 30), "b": Num(4, 30)}, derived={"l": "{s}*{a}", "w": "{s}*{b}"}),
    _t("geometry", "triangle_area", "{b}*{h}/2", (
        "A triangle has a base of {b} cm and a height of {h} cm. What is its area?",
        "What is the area of a triangular sail with a base of {b} m and a height of {h} m?",
        "Find the area of a triangle whose base is {b} cm and whose height is {h} cm.",
    ), {"b": Num(2, 40), "h": Num(2, 40)}),
    _t("geometry", "wall_minus_window", "{l}*{h}-{a}*{b}", (
        "A wall is {l} m wide and {h} m high, with a window {a} m by {b} m. How many square meters of wall "
        "need paint?",
        "A painter is working on a wall {l} m wide and {h} m tall. The wall has a window measuring {a} m by {b} m. "
        "What area of the wall gets painted?",
        "A wall {l} m wide and {h} m tall has a {a} m by {b} m window in it. How much wall area is there, not"
        " counting the window?",
    ), {"l": Num(3, 12), "h": Num(2, 4), "a": Num("0.5", "2", "0.5", kind="decimal"),
        "b": Num("0.5", "2", "0.5", kind="decimal")}, conditions=("{l}*{h} > 4*{a}*{b}",)),
    _t("geometry", "cube_volume", "{s}^3", (
        "A cube has edges {s} cm long. What is its volume in cubic centimeters?",
        "What is the volume of a cube-shaped box whose sides are each {s} cm?",
        "How much space is inside a cube whose edges are {s} cm long, in cubic centimeters?",
    ), {"s": Num(2, 30)}),
    _t("geometry", "circle_area", "3.14*{r}*{r}", (
        "A round table has a radius of {r} dm. Using 3.14 for pi, what is the area of the tabletop in square "
        "decimeters?",
        "A circular rug has a radius of {r} dm. Taking pi as 3.14, what is the rug's area in square "
        "decimeters?",
        "What is the area of a circle with a radius of {r} dm? Use 3.14 for pi.",
    ), {"r": Num(2, 15)}),
)

UNIT_CONVERSION = (
    _t("unit_conversion", "meters_to_cm", "{m}*100", (
        "A ribbon is {m} meters long. How long is it in centimeters?",
        "How many centimeters are there in {m} meters?",
        "Convert {m} meters to centimeters.",
    ), {"m": Num("0.5", "20", "0.25", kind="decimal")}),
    _t("unit_conversion", "km_to_m", "{km}*1000", (
        "{name} walks {km} km to school. How many meters is that?",
        "A trail is {km} kilometers long. How long is it in meters?",
        "{name} rode a bike {km} kilometers. How many meters did {name} ride?",
    ), {"km": Num("0.2", "9.8", "0.1", kind="decimal")}, words=_NAME),
    _t("unit_conversion", "minutes_to_hours", "{m}/60", (
        "A movie lasts {m} minutes. How many hours is that?",
        "A pianist practiced for {m} minutes this week. How many hours is that?",
        "{m} minutes is how many hours?",
    ), {"m": Num(45, 240, 15)}),
    _t("unit_conversion", "grams_to_kg", "{g}/1000", (
        "A bag of flour weighs {g} grams. What is its weight in kilograms?",
        "How many kilograms are {g} grams?",
        "Convert {g} grams to kilograms.",
    ), {"g": Num(100, 9900, 50)}),
    _t("unit_conversion", "feet_inches", "{f}*12+{i}", (
        "{name} is {f} feet {i} inches tall. How tall is {name} in inches?",
        "A bookshelf is {f} feet {i} inches tall. What is its height in inches?",
        "A board is {f} feet {i} inches long. How long is the board in inches?",
    ), {"f": Num(3, 6), "i": Num(2, 11)}, words=_NAME),
    _t("unit_conversion", "liters_to_cups", "{l}*1000/{c}", (
        "A jug holds {l} liters of {liquid}. How many {c} mL glasses can be filled from it?",
        "A pot holds {l} liters of {liquid}. How many servings of {c} mL does it make?",
        "How many {c} mL cups can be filled from {l} liters of {liquid}?",
    ), {"c": Num(100, 500, 50), "n": Num(2, 30)}, derived={"l": "{c}*{n}/1000"}, words={"liquid": "liquids"}),
    _t("unit_conversion", "coins", "{q}*25+{d}*10+{n}*5", (
        "{name} has {q} quarters, {d} dimes and {n} nickels. How many cents is that?",
        "In a jar there are {q} quarters, {d} dimes and {n} nickels. What is the total value in cents?",
        "{name} found {q} quarters, {d} dimes and {n} nickels under the couch. How much money is that in "
        "cents?",
    ), {"q": Num(2, 20), "d": Num(2, 20), "n": Num(2, 20)}, words=_NAME, clauses=None),
    _t("unit_conversion", "hours_minutes", "{h}*60+{m}", (
        "A train ride takes {h} hours and {m} minutes. How many minutes is that in total?",
        "A hike lasts {h} hours {m} minutes. Express that time in minutes.",
        "How many minutes are in {h} hours and {m} minutes?",
    ), {"h": Num(2, 9), "m": Num(5, 55, 5)}),
    _t("unit_conversion", "weeks_days", "{w}*7+{d}", (
        "{name}'s summer camp lasts {w} weeks and {d} days. How many days is that?",
        "A school project lasts {w} weeks and {d} days. For how many days does it run?",
        "How many days are there in {w} weeks and {d} days?",
    ), {"w": Num(2, 10), "d": Num(2, 6)}, words=_NAME),
)

COMPARISON = (
    _t("comparison", "how_many_more", "{a}-{b}", (
        "{name1} has {a} {item.pl} and {name2} has {b}. How many more {item.pl} does {name1} have?",
        "{name1} collected {a} {item.pl}. {name2} collected {b}. How many more did {name1} collect than "
        "{name2}?",
        "{name2} has {b} {item.pl}. {name1} has {a} {item.pl}. How many fewer {item.pl} does {name2} have "
        "than {name1}?",
    ), {"a": Num(10, 500), "b": Num(5, 400)}, words={"name1": "names", "name2": "names", "item": "stickers"},
        conditions=("{a} > {b}",)),
    _t("comparison", "times_as_many_more", "{a}*{k}-{a}", (
        "{name1} has {a} {item.pl}. {name2} has {k} times as many. How many more {item.pl} does {name2} have "
        "than {name1}?",
        "{name2} has {k} times as many {item.pl} as {name1}, who has {a}. How many more {item.pl} does "
        "{name2} have?",
        "{name1} owns {a} {item.pl}, and {name2} owns {k} times that many. How many more {item.pl} does "
        "{name2} own?",
    ), {"a": Num(3, 60), "k": Num(2, 9)}, words={"name1": "names", "name2": "names", "item": "books"}),
    _t("comparison", "cost_difference", "{n1}*{p1}-{n2}*{p2}", (
        "{name1} buys {n1} {item.pl} at ${p1} each. {name2} buys {n2} at ${p2} each. How much more does {name1} "
        "spend?",
        "{name1} gets {n1} {item.pl} for ${p1} each. {name2} gets {n2} {item.pl} for ${p2} each. How much "
        "more money does {name1} spend than {name2}?",
        "At one stand {item.pl} are ${p1} each, and {name1} buys {n1}. At another stand they are ${p2} each, "
        "and {name2} buys {n2}. How much more does {name1} spend than {name2}?",
    ), {"n1": Num(2, 12), "p1": _CENTS, "n2": Num(2, 12), "p2": _CENTS},
        words={"name1": "names", "name2": "names", "item": "snacks"}, conditions=("{n1}*{p1} > {n2}*{p2}",),
        clauses=(0, 2)),
    _t("comparison", "height_difference", "{a}-{b}", (
        "{name1} is {a} m tall and {name2} is {b} m tall. How much taller is {name1}?",
        "{name1} measures {a} m and {name2} measures {b} m. What is the difference in their heights?",
        "How much taller is {name1}, at {a} m, than {name2}, at {b} m?",
    ), {"a": Num("1.2", "1.9", "0.01", kind="decimal"), "b": Num("1", "1.8", "0.01", kind="decimal")},
        words={"name1": "names", "name2": "names"}, conditions=("{a} > {b}",)),
    _t("comparison", "fewer_total", "{a}+({a}-{k})", (
        "{name1} picked {a} {item.pl}. {name2} picked {k} fewer than {name1}. How many {item.pl} did they pick "
        "altogether?",
        "{name1} scored {a} points in a game, and {name2} scored {k} points fewer. What is their combined "
        "score?",
        "{name2} picked {k} fewer {item.pl} than {name1}, who picked {a}. How many {item.pl} did the two of "
        "them pick in total?",
    ), {"a": Num(10, 200), "k": Num(2, 50)}, words={"name1": "names", "name2": "names", "item": "fruits"},
        conditions=("{a} > {k}",)),
    _t("comparison", "daily_vs_weekly", "{a}*7-{b}", (
        "{name1} reads {a} pages every day. {name2} reads {b} pages a week. How many more pages does {name1} "
        "read in a week?",
        "{name1} reads {a} pages a day. In one week, {name2} reads {b} pages. How many more pages does "
        "{name1} read than {name2} in that week?",
        "{name2} reads {b} pages each week. {name1} reads {a} pages each day. Over a week, how many more "
        "pages does {name1} read?",
    ), {"a": Num(5, 60), "b": Num(10, 300)}, words={"name1": "names", "name2": "names"},
        conditions=("{a}*7 > {b}",), clauses=(0, 2)),
    _t("comparison", "heavier_load", "{n1}*{w1}-{n2}*{w2}", (
        "One truck carries {n1} crates of {w1} kg each. Another carries {n2} crates of {w2} kg each. How many "
        "kilograms heavier is the first load?",
        "The first truck has {n1} crates weighing {w1} kg each. The second has {n2} crates weighing {w2} kg "
        "each. How much more does the first truck's load weigh?",
        "One van holds {n1} boxes of {w1} kg. A second van holds {n2} boxes of {w2} kg. By how many kilograms"
        " is the first load heavier?",
    ), {"n1": Num(5, 40), "w1": Num(10, 60), "n2": Num(5, 40), "w2": Num(10, 60)},
        conditions=("{n1}*{w1} > {n2}*{w2}",), clauses=(0, 2)),
    _t("comparison", "times_as_much", "{a}/{b}", (
        "A {item1} costs ${a} and a {item2} costs ${b}. How many times as much as the {item2} does the {item1} "
        "cost?",
        "{item1.a} costs ${a}, while {item2.a} costs ${b}. How many times more expensive is the {item1}?",
        "The price of {item2.a} is ${b} and the price of {item1.a} is ${a}. The {item1} costs how many times "
        "as much as the {item2}?",
    ), {"b": Num(2, 30), "k": Num(2, 9)}, derived={"a": "{b}*{k}"}, words={"item1": "gadgets",
                                                                      "item2": "school_items"}),
)

MULTI_STEP = (
    _t("multi_step", "bakery_bags", "({n}*{k}-{s}-{g})/{b}", (
        "A baker makes {n} trays of {k} {item.pl}. {s} are sold in the morning and {g} are given to a shelter. "
        "The rest are packed in bags of {b}. How many bags are filled?",
        "{name} bakes {n} batches of {k} {item.pl}. After selling {s} and giving {g} to neighbors, {name} "
        "puts the rest into bags of {b}. How many bags does {name} fill?",
        "{name} baked {n} pans of {k} {item.pl} each. {name} sold {s} of them and gave away {g}. If the "
        "leftover {item.pl} are put in bags of {b}, how many bags are there?",
    ), {"n": Num(3, 12), "k": Num(6, 24), "s": Num(5, 60), "g": Num(2, 20), "b": Num(2, 6)},
        words={"name": "names", "item": "snacks"}, conditions=("{n}*{k} > {s}+{g}", "{b} | {n}*{k}-{s}-{g}")),
    _t("multi_step", "fundraiser_split", "({a}*{p1}+{b}*{p2}-{c})/{k}", (
        "At the {event}, a {group} sells {a} adult tickets at ${p1} and {b} child tickets at ${p2}. After paying "
        "${c} in costs, it splits the money equally among {k} charities. How much does each charity get?",
        "A {group} sold {a} adult tickets for ${p1} each and {b} child tickets for ${p2} each at the {event}."
        " It spent ${c}. The money left is split evenly among {k} charities. How much does each charity "
        "receive?",
        "At a {event}, adult tickets cost ${p1} and child tickets ${p2}. A {group} sold {a} adult and {b} "
        "child tickets and had ${c} of costs. What does each of {k} charities get if the rest is shared "
        "equally?",
    ), {"a": Num(10, 120), "p1": Num(5, 20), "b": Num(10, 120), "p2": Num(2, 10), "c": Num(20, 200, 10),
        "k": Num(2, 5)}, words={"event": "events", "group": "groups"},
        conditions=("{a}*{p1}+{b}*{p2} > 2*{c}", "{p2} < {p1}"), round_decimals=2),
    _t("multi_step", "trip_fuel", "({v1}*{t1}+{v2}*{t2})/{e}*{p}", (
        "{name} drives {t1} hours at {v1} km/h and then {t2} hours at {v2} km/h. The car uses one liter of fuel "
        "every {e} km, and fuel costs ${p} a liter. How much does the fuel cost?",
        "{name} drove {t1} hours at {v1} km/h and {t2} more hours at {v2} km/h. The car goes {e} km on a "
        "liter of fuel. Fuel is ${p} per liter. What was the fuel for the trip worth?",
        "On a trip, {name} drove at {v1} km/h for {t1} hours and at {v2} km/h for {t2} hours. Every {e} km "
        "the car burns a liter of fuel. A liter costs ${p}. How much did {name} spend on fuel?",
    ), {"v1": Num(50, 110, 10), "t1": Num(2, 4), "v2": Num(30, 90, 10), "t2": Num(2, 3), "e": Num(10, 20, 5),
        "p": Num("1.20", "2", "0.10", kind="decimal")}, words=_NAME, round_decimals=2, clauses=(0, 2)),
    _t("multi_step", "garden_seeds", "({l}*{w}-{a}*{b})*{s}", (
        "A garden is {l} m by {w} m. A shed takes up {a} m by {b} m of it. {name} sows {s} grams of seed on each "
        "square meter of the rest. How many grams of seed are used?",
        "{name} has a {l} m by {w} m yard with a {a} m by {b} m shed on it. {name} plants {s} grams of grass "
        "seed per square meter on the rest of the yard. How much seed does {name} use?",
        "How many grams of seed are needed for a {l} m by {w} m garden, except for a {a} m by {b} m shed, at "
        "{s} grams per square meter?",
    ), {"l": Num(6, 30), "w": Num(5, 20), "a": Num(1, 4), "b": Num(1, 4), "s": Num(5, 40, 5)}, words=_NAME,
        conditions=("{l}*{w} > 4*{a}*{b}",)),
    _t("multi_step", "wages_saved", "{h}*{d}*{r}*(1-{f})", (
        "{name} works {h} hours a day for {d} days at ${r} an hour and spends {f} of the pay. How much is saved?",
        "{name} earns ${r} an hour, working {h} hours each day for {d} days. If {name} spends {f} of the "
        "earnings, how much money is left?",
        "{name} makes ${r} an hour and works {h} hours a day. After {d} days {name} has spent {f} of the "
        "money earned. How much is left?",
    ), {"h": Num(2, 8), "d": Num(2, 10), "r": Num(10, 30), "f": Num(2, 5, kind="fraction")}, words=_NAME,
        round_decimals=2),
    _t("multi_step", "discount_then_tax", "{n}*{p}*(1-{r})*(1+{tx})", (
        "{name} buys {n} {item.pl} at ${p} each. The store takes {r} off, and then {tx} sales tax is added. What "
        "is the final bill?",
        "{n} {item.pl} cost ${p} each. The total is reduced by {r}, then {tx} tax is added to the reduced "
        "total. How much does {name} pay?",
        "{name} picks out {n} {item.pl} priced at ${p} apiece. A {r} discount comes off first, and a {tx} tax"
        " is then added. What is the total {name} pays?",
    ), {"n": Num(2, 6), "p": Num(10, 80), "r": Num(10, 40, 5, kind="percent"), "tx": Num(5, 9, kind="percent")},
        words={"name": "names", "item": "clothes"}, round_decimals=2),
    _t("multi_step", "savings_plan", "{s}+{w}*{k}-{c}", (
        "{name} has ${s} saved and adds ${w} each week for {k} weeks. Then {name} buys {item.a} for ${c}. How "
        "much money is left?",
        "{name} starts with ${s} and saves ${w} a week for {k} weeks. After buying {item.a} that costs ${c}, "
        "how much does {name} have?",
        "{name} had ${s} in a piggy bank. Every week for {k} weeks, {name} put in ${w} more. Then {name} "
        "spent ${c} on {item.a}. How much money does {name} have now?",
    ), {"s": Num(10, 100, 5), "w": Num(5, 30), "k": Num(2, 12), "c": Num(20, 200, 5)},
        words={"name": "names", "item": "gadgets"}, conditions=("{s}+{w}*{k} > {c}",)),
    _t("multi_step", "eggs_by_dozen", "{e}*7*{w}/12*{p}", (
        "A farmer collects {e} eggs every day. After {w} weeks the farmer sells all of them by the dozen at ${p} "
        "a dozen. How much money does the farmer get?",
        "Every day a farmer's hens lay {e} eggs. The farmer saves them for {w} weeks and sells them at ${p} "
        "per dozen. How much money does the farmer make?",
        "How much does a farmer earn by selling {w} weeks' worth of eggs at ${p} a dozen, if the hens lay {e}"
        " eggs a day?",
    ), {"e": Num(10, 60), "w": Num(2, 4), "p": Num("2", "6", "0.50", kind="decimal")},
        conditions=("12 | {e}*7*{w}",)),
    _t("multi_step", "class_trip", "({bus}+{n}*{t})/{n}", (
        "A class of {n} students goes to {place}. The bus costs ${bus} and each ticket is ${t}. If the students "
        "share the total cost equally, how much does each one pay?",
        "{n} students are going to {place}. Together they must pay ${bus} for the bus plus ${t} per student "
        "for tickets. If they divide the cost evenly, how much does each student pay?",
        "{n} students go on a trip to {place}. The bus costs ${bus} in total, and a ticket is ${t} per "
        "student. If the total cost is split evenly, how much does one student pay?",
    ), {"n": Num(10, 40), "bus": Num(100, 600, 20), "t": Num(3, 20)}, words={"place": "places"},
        round_decimals=2),
    _t("multi_step", "school_supplies", "{n}*({a}*{p1}+{b}*{p2})", (
        "Each of {n} students needs {a} notebooks and {b} pencils. Notebooks cost ${p1} and pencils cost ${p2}. "
        "How much do the supplies cost for all the students?",
        "A teacher buys supplies for {n} students. Every student gets {a} notebooks and {b} pencils. A "
        "notebook is ${p1} and a pencil is ${p2}. What is the total cost of the supplies?",
        "Notebooks cost ${p1} and pencils cost ${p2}. There are {n} students. Each one needs {a} notebooks "
        "and {b} pencils. How much will all the supplies cost?",
    ), {"n": Num(5, 30), "a": Num(2, 6), "p1": _CENTS, "b": Num(2, 10), "p2": Num("0.10", "1", "0.05",
                                                                              kind="decimal")}, clauses=(0, 2)),
    _t("multi_step", "water_tank", "{v}-{u}*{d}+{f}*{h}", (
        "A tank holds {v} liters of water. A farm uses {u} liters a day for {d} days, then a pump adds {f} liters "
        "an hour for {h} hours. How many liters are in the tank now?",
        "A water tank starts with {v} liters. For {d} days, {u} liters are used each day. Then it is refilled "
        "at {f} liters an hour for {h} hours. How much water does it hold now?",
        "There are {v} liters in a tank. {u} liters are used every day for {d} days. After that, water is "
        "pumped in at {f} liters an hour for {h} hours. How many liters are in the tank at the end?",
    ), {"v": Num(500, 5000, 100), "u": Num(20, 200, 10), "d": Num(2, 10), "f": Num(10, 100, 10),
        "h": Num(2, 12)}, conditions=("{v} > {u}*{d}",)),
    _t("multi_step", "store_stock", "{a}*{b}-{c}*{d}+{e}*{b}-{r}", (
        "A store receives {a} boxes of {b} {item.pl}. It sells {c} {item.pl} a day for {d} days, then receives "
        "{e} more boxes of {b}. Finally {r} {item.pl} are returned to the supplier as damaged. How many "
        "{item.pl} does the store have now?",
        "A toy shop gets {a} cartons with {b} {item.pl} in each. Over {d} days it sells {c} {item.pl} per "
        "day. Then {e} more cartons of {b} arrive, and {r} broken {item.pl} are sent back. How many {item.pl}"
        " does the shop have?",
        "{a} boxes of {b} {item.pl} arrive at a store. The store sells {c} a day for {d} days, gets {e} more "
        "boxes of {b}, and returns {r} damaged {item.pl}. How many {item.pl} are left in the store?",
    ), {"a": Num(3, 20), "b": Num(6, 24), "c": Num(5, 40), "d": Num(2, 7), "e": Num(2, 10), "r": Num(2, 12)},
        words={"item": "toys"}, conditions=("{a}*{b} > {c}*{d}", "{a}*{b}-{c}*{d}+{e}*{b} > {r}")),
    _t("multi_step", "party_cost_each", "({n}*{pz}+{d}*{pd}+{dec})/({k}+1)", (
        "{name} and {k} friends throw a party. They order {n} pizzas at ${pz} each and {d} drinks at ${pd} each, "
        "and spend ${dec} on decorations. They split the cost equally. How much does each person pay?",
        "For a party, {name} and {k} friends buy {n} pizzas for ${pz} each, {d} drinks for ${pd} each, and "
        "${dec} of decorations. If they share the cost equally, what does each of them pay?",
        "{n} pizzas at ${pz}, {d} drinks at ${pd}, and ${dec} in decorations are split equally by {name} and "
        "{k} friends. How much is each share?",
    ), {"k": Num(2, 7), "n": Num(2, 8), "pz": Num(8, 18), "d": Num(4, 16), "pd": _CENTS, "dec": Num(5, 30)},
        words=_NAME, round_decimals=2),
    _t("multi_step", "marathon_training", "({a}+{b})*{w}+{l}*({w}-1)", (
        "Every week {name} runs {a} km on Tuesday and {b} km on Thursday, and in every week but the first also "
        "runs a long run of {l} km. How many kilometers does {name} run in {w} weeks?",
        "For {w} weeks, {name} runs {a} km every Tuesday and {b} km every Thursday. Starting in the second "
        "week, {name} also does a {l} km run every Sunday. How far does {name} run in total?",
        "{name} trains for {w} weeks. Each week, {name} runs {a} km on Tuesday and {b} km on Thursday. In "
        "every week after the first, {name} also runs {l} km on Sunday. What is the total distance?",
    ), {"a": Num(3, 10), "b": Num(3, 10), "w": Num(2, 12), "l": Num(10, 25)}, words=_NAME),
    _t("multi_step", "painting_rooms", "2*({l}+{w})*{h}/{c}*{p}", (
        "A room is {l} m long and {w} m wide, and its walls are {h} m high. One can of paint covers {c} square "
        "meters and costs ${p}. What does the paint for the four walls cost, if part cans can be bought?",
        "A room measures {l} m by {w} m with walls {h} m tall. Paint is ${p} for a can that covers {c} square"
        " meters. What does it cost to paint all four walls, if paint can be bought by part of a can?",
        "The four walls of a {l} m by {w} m room are {h} m high. A can of paint covers {c} square meters and "
        "sells for ${p}. How much does the paint cost if any part of a can may be bought?",
    ), {"l": Num(3, 8), "w": Num(3, 6), "h": Num(2, 3), "c": Num(5, 12), "p": Num(15, 40)}, round_decimals=2),
    _t("multi_step", "lemonade_profit", "{cups}*{price}-({lemons}*{pl}+{sugar})", (
        "{name} sells {cups} cups of lemonade at ${price} a cup. The lemons cost ${pl} each and {name} used "
        "{lemons} of them, plus ${sugar} of sugar. What is the profit?",
        "{name} runs a lemonade stand and sells {cups} cups for ${price} each. {name} spent ${pl} on each of "
        "{lemons} lemons. The sugar cost ${sugar}. How much money did {name} make after costs?",
        "{name} bought {lemons} lemons at ${pl} each. Sugar cost {name} ${sugar}. {name} sold {cups} cups of "
        "lemonade at ${price} a cup. What was the profit?",
    ), {"cups": Num(20, 120), "price": Num("0.50", "2", "0.25", kind="decimal"), "lemons": Num(6, 30),
        "pl": Num("0.20", "0.6", "0.05", kind="decimal"), "sugar": Num(2, 8)}, words=_NAME,
        conditions=("{cups}*{price} > {lemons}*{pl}+{sugar}",), clauses=(0, 2)),
)

# Situations frequent in the training parts of MAWPS/ASDiv-A and GSM8K that had no template: joining and separating
# (some more arrive, some are eaten), a start to find from what was given away and what is left, equal groups put
# together, and the percent saved against a plan.
EVERYDAY = (
    _t("sharing_grouping", "gave_then_got", "{a}-{b}+{c}", (
        "{name} had {a} {item.pl}. {name} gave {b} of them to {name2} and then bought {c} more. How many {item.pl} "
        "does {name} have now?",
        "There were {a} {item.pl} in a jar. {name} took out {b}, and later {name2} put in {c}. How many {item.pl} "
        "are in the jar now?",
    ), {"a": Num(10, 200), "b": Num(2, 90), "c": Num(2, 90)}, words={"name": "names", "name2": "names",
                                                                    "item": "stickers"},
        conditions=("{a} > {b}",)),
    _t("sharing_grouping", "started_with", "{b}+{c}", (
        "{name} gave away {b} {item.pl} and has {c} left. How many {item.pl} did {name} have at first?",
        "After selling {b} {item.pl}, a bakery still had {c}. How many {item.pl} did the bakery have to start with?",
    ), {"b": Num(2, 300), "c": Num(2, 300)}, words={"name": "names", "item": "snacks"}),
    _t("sharing_grouping", "groups_total", "{n}*{k}", (
        "There are {n} {box.pl} with {k} {item.pl} in each. How many {item.pl} are there in total?",
        "{name} put {k} {item.pl} into each of {n} {box.pl}. How many {item.pl} did {name} pack altogether?",
    ), {"n": Num(2, 40), "k": Num(2, 60)}, words={"name": "names", "box": "containers", "item": "fruits"}),
    _t("comparison", "in_all", "{a}+{b}", (
        "There are {a} red {flower.pl} and {b} yellow {flower.pl} in a garden. How many {flower.pl} are there in all?",
        "{name1} has {a} {item.pl} and {name2} has {b}. How many {item.pl} do they have altogether?",
    ), {"a": Num(2, 500), "b": Num(2, 500)}, words={"name1": "names", "name2": "names", "item": "stickers",
                                                   "flower": "flowers"}),
    _t("comparison", "eaten_left", "{a}-{b}", (
        "{name} baked {a} {item.pl}. The family ate {b} of them. How many {item.pl} are left?",
        "A farmer had {a} {animal.pl}. {b} were sold at the market. How many {animal.pl} does the farmer still have?",
    ), {"a": Num(10, 300), "b": Num(2, 200)}, words={"name": "names", "item": "snacks", "animal": "animals"},
        conditions=("{a} > {b}",)),
    _t("discount_percent", "percent_saved", "({a}-{b})/{a}*100", (
        "A family planned to spend ${a} on groceries this month but spent only ${b}. What percent of the planned "
        "amount did they save?",
        "{name}'s budget for a trip was ${a}. The trip cost ${b}. What percent of the budget did {name} not spend?",
    ), {"a": Num(100, 2000, 20), "p": Num(5, 40, 5)}, derived={"b": "{a}*(100-{p})/100"}, words=_NAME),
)

TEMPLATES: tuple[Template, ...] = (
    BUYING + UNIT_PRICE + DISCOUNT_PERCENT + INTEREST + SPEED_TIME_DISTANCE + WORK_RATE + RATIO_FRACTION
    + SHARING_GROUPING + AVERAGE + AGES + GEOMETRY + UNIT_CONVERSION + COMPARISON + MULTI_STEP + EVERYDAY
)
