"""English word lists for the word-problem templates (`templates_en.py`, `phrasings_en.py`).

`LEXICON` maps a list name to its entries. An entry that a template counts is written `singular|plural`
(`{item}` renders "apple", `{item.pl}` "apples", `{item.a}` "an apple"); names and places have one form. Items
are grouped by how they are sold or measured (fruit by the pound, drinks by the bottle, fabric by the yard...), so
a template writes the unit itself and draws only nouns that agree with it. Every entry must read correctly in
every template that uses its list. The vocabulary is that of school word problems (GSM8K's grade-school register).

`DISTRACTORS` are sentences with one irrelevant number `{d}` the generator may insert before the question
(GSM-NoOp, Mirzadeh et al. 2024: a plausible but irrelevant clause). They use `{d}` and at most the word slots
`{name}` (the problem's main person when it has one, else a random name) and `{place}`, and state facts no
template's question depends on.
"""

from __future__ import annotations

LEXICON: dict[str, tuple[str, ...]] = {
    # --- people ---------------------------------------------------------------------------------------------
    "names": (
        "Mia", "Liam", "Olivia", "Noah", "Emma", "James", "Ava", "Lucas", "Sophia", "Ethan", "Isabella", "Mason",
        "Amelia", "Logan", "Harper", "Elijah", "Chloe", "Daniel", "Zoe", "Samuel", "Nora", "Leo", "Grace", "Owen",
        "Priya", "Diego", "Aisha", "Kenji", "Fatima", "Mateo",
    ),
    "adults": ("Mr. Lopez", "Ms. Carter", "Mrs. Patel", "Mr. Kim", "Ms. Nguyen", "Mr. Brooks", "Mrs. Rossi"),
    # a parent's generation: old enough to be several times a child's age
    "relatives": ("mother", "father", "aunt", "uncle"),
    "grandparents": ("grandmother", "grandfather", "grandma", "grandpa"),
    # --- places ---------------------------------------------------------------------------------------------
    "stores": ("grocery store", "corner shop", "supermarket", "farmers' market", "general store"),
    "places": ("the library", "the park", "the museum", "the zoo", "the beach", "the stadium", "the lake"),
    "towns": ("Maple Grove", "Riverton", "Lakeside", "Fairview", "Oakdale", "Springfield", "Hillcrest", "Brookfield"),
    # --- things, grouped by how they are sold or counted -----------------------------------------------------
    "school_items": (
        "notebook|notebooks", "pencil|pencils", "eraser|erasers", "marker|markers", "ruler|rulers",
        "folder|folders", "pen|pens", "glue stick|glue sticks", "sketchbook|sketchbooks", "highlighter|highlighters",
    ),
    "toys": (
        "toy car|toy cars", "puzzle|puzzles", "yo-yo|yo-yos", "kite|kites", "board game|board games",
        "stuffed bear|stuffed bears", "ball|balls", "jump rope|jump ropes",
    ),
    "snacks": (
        "muffin|muffins", "cookie|cookies", "bagel|bagels", "granola bar|granola bars", "cupcake|cupcakes",
        "pretzel|pretzels", "sandwich|sandwiches", "donut|donuts",
    ),
    "fruits": (
        "apple|apples", "orange|oranges", "pear|pears", "peach|peaches", "banana|bananas", "mango|mangoes",
        "lemon|lemons", "plum|plums", "kiwi|kiwis",
    ),
    "produce_by_pound": ("apples", "grapes", "potatoes", "carrots", "cherries", "tomatoes", "onions", "strawberries"),
    "drinks": (
        "bottle of juice|bottles of juice", "bottle of water|bottles of water", "carton of milk|cartons of milk",
        "can of soda|cans of soda", "bottle of lemonade|bottles of lemonade",
    ),
    "books": ("book|books", "comic book|comic books", "novel|novels", "magazine|magazines", "cookbook|cookbooks"),
    "clothes": ("T-shirt|T-shirts", "sweater|sweaters", "jacket|jackets", "pair of socks|pairs of socks",
                "cap|caps", "scarf|scarves", "pair of jeans|pairs of jeans"),
    "gadgets": ("lamp|lamps", "speaker|speakers", "bicycle|bicycles", "tablet|tablets", "camera|cameras",
                "blender|blenders", "backpack|backpacks"),
    "crafts": ("bracelet|bracelets", "necklace|necklaces", "birdhouse|birdhouses", "candle|candles",
               "greeting card|greeting cards", "clay pot|clay pots"),
    "containers": ("box|boxes", "crate|crates", "bag|bags", "basket|baskets", "carton|cartons"),
    "flowers": ("rose|roses", "tulip|tulips", "daisy|daisies", "sunflower|sunflowers", "lily|lilies"),
    "animals": ("chicken|chickens", "duck|ducks", "goat|goats", "sheep|sheep", "rabbit|rabbits", "cow|cows"),
    "stickers": ("sticker|stickers", "marble|marbles", "trading card|trading cards", "stamp|stamps",
                 "seashell|seashells", "button|buttons", "bead|beads"),
    "baked_goods": ("pie|pies", "cake|cakes", "loaf of bread|loaves of bread", "pizza|pizzas", "tart|tarts"),
    "fabrics": ("ribbon", "fabric", "rope", "string", "wire", "lace"),
    "liquids": ("water", "juice", "paint", "milk", "lemonade", "soup"),
    # --- movement and work ----------------------------------------------------------------------------------
    "vehicles": ("car|cars", "bus|buses", "van|vans", "truck|trucks", "train|trains"),
    "slow_movers": ("cyclist", "jogger", "rower", "hiker", "skater"),
    "workers": ("painter", "gardener", "builder", "plumber", "carpenter", "decorator"),
    "machines": ("printer", "pump", "machine", "conveyor belt", "robot"),
    "tasks": ("fence", "room", "wall", "garden", "driveway", "deck"),
    "sports": ("soccer", "basketball", "swimming", "tennis", "chess", "volleyball"),
    "subjects": ("math", "science", "history", "reading", "spelling", "art"),
    "events": ("bake sale", "school fair", "charity run", "car wash", "book fair", "talent show"),
    "groups": ("class", "club", "team", "troop", "choir"),
}

DISTRACTORS: tuple[str, ...] = (
    "{name}'s cousin is {d} years old.",
    "The store has been open for {d} years.",
    "There are {d} trees along the street outside.",
    "{name} lives {d} blocks from {place}.",
    "It was {d} degrees outside that day.",
    "{name}'s class has {d} students.",
    "The bus to {place} leaves every {d} minutes.",
    "{name} has read {d} pages of a new book this week.",
    "A poster on the wall shows {d} stars.",
    "{name}'s neighbor owns {d} fish.",
    "The shop down the road sells {d} kinds of ice cream.",
    "Last year {name} planted {d} sunflowers.",
)

BACKWARD_QUESTIONS: tuple[str, ...] = (
    "If we know the answer to the above question is {answer}, what is the value of unknown variable x?",
    "The answer to this question is {answer}. What number does x stand for?",
    "Suppose the answer comes out to {answer}. Find x.",
    "Working backward, the answer is {answer}. What must x be?",
    "Given that the answer is {answer}, what is x?",
)
"""Sentences closing a backward question (WordConfig.backward_share): after the question with one given number
written `x`, the forward answer `{answer}` is stated and x asked for (MetaMath's FOBAR wording first)."""
