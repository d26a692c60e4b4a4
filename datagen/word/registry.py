"""The template registry: each language's templates, lexicon and held-out templates, and the compiled cache.

A language's templates are TEMPLATES of `templates_<lang>` then PHRASINGS of `phrasings_<lang>`; its words and
distractor sentences are LEXICON and DISTRACTORS of `lexicon_<lang>` (with BACKWARD_QUESTIONS, the closing
sentences of backward questions). They are loaded, and every template compiled (validated), the first time a
language is asked for; a module that does not exist yet counts as empty.
"""

from __future__ import annotations

import importlib
import re

from ..hashing import text_digest
from .backward import UNKNOWN
from .compiler import CompiledTemplate
from .numerals import numeral_text
from .record import LANGUAGES
from .templates import Template

HELDOUT_SHARE = 0.1
_ANY_FIELD = re.compile(r"\{[^{}]*\}")  # a field with its attribute or format: `{item.pl}`, `{zhe:zh}`
_REGISTRY: dict[str, tuple] = {}
_LEXICONS: dict[str, tuple[dict, tuple]] = {}
_COMPILED: dict[tuple[str, int, int | None], CompiledTemplate] = {}  # (template id, number_scale, max_operand)
_MAX_COMPILED = 20_000  # about 60 (number_scale, max_operand) pairs of every template of both languages


def _optional_module(name: str):
    """datagen.word.<name>, or None while it does not exist yet (the other language's files may be in progress)."""
    try:
        return importlib.import_module(f"{__package__}.{name}")
    except ModuleNotFoundError as err:
        if err.name == f"{__package__}.{name}":
            return None
        raise


def lexicon(lang: str) -> tuple[dict, tuple]:
    """(LEXICON, DISTRACTORS) of a language's lexicon module (empty while it is absent)."""
    if lang not in _LEXICONS:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; valid: {', '.join(LANGUAGES)}")
        module = _optional_module(f"lexicon_{lang}")
        _LEXICONS[lang] = (dict(getattr(module, "LEXICON", {})), tuple(getattr(module, "DISTRACTORS", ())))
    return _LEXICONS[lang]


def backward_questions(lang: str) -> tuple[str, ...]:
    """The sentences that turn a question backward (`{answer}`: the stated answer), from the language's lexicon
    module (`BACKWARD_QUESTIONS`)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; valid: {', '.join(LANGUAGES)}")
    return tuple(getattr(_optional_module(f"lexicon_{lang}"), "BACKWARD_QUESTIONS", ()))


def templates(lang: str) -> tuple:
    """Every registered template of `lang`: TEMPLATES of templates_<lang> then PHRASINGS of phrasings_<lang>
    (modules that do not exist yet count as empty). Raises ValueError for a malformed template or a duplicate id."""
    if lang not in _REGISTRY:
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; valid: {', '.join(LANGUAGES)}")
        found = []
        for module_name, attribute in ((f"templates_{lang}", "TEMPLATES"), (f"phrasings_{lang}", "PHRASINGS")):
            module = _optional_module(module_name)
            found.extend(getattr(module, attribute, ()) if module is not None else ())
        words, _ = lexicon(lang)
        seen = set()
        for t in found:
            if not isinstance(t, Template):
                raise ValueError(f"{lang} registry holds a non-Template: {t!r}")
            if t.lang != lang:
                raise ValueError(f"template {t.id!r} has lang {t.lang!r} but is registered for {lang!r}")
            if t.id in seen:
                raise ValueError(f"duplicate template id {t.id!r}")
            seen.add(t.id)
            _COMPILED[(t.id, 1, None)] = CompiledTemplate(t, words)  # validates
        _REGISTRY[lang] = tuple(found)
    return _REGISTRY[lang]


def writable_text(lang: str) -> tuple[str, ...]:
    """Every literal string the templated generator of `lang` can put into a question (the text between
    `{field}`s): each template's text variants, every lexicon entry and distractor sentence, and every numeral
    `numerals` writes. A tokenizer trained on samples alone can miss a rare lexicon word; with these lines every
    character a templated problem can hold is seen. Raises ValueError for an unknown language."""
    words, distractors = lexicon(lang)
    out: list[str] = []

    def walk(item) -> None:
        if isinstance(item, str):
            out.extend(part for part in _ANY_FIELD.split(item) if part)  # the literal text between `{field}`s
        elif isinstance(item, dict):
            for value in item.values():
                walk(value)
        elif isinstance(item, (list, tuple, set, frozenset)):
            for value in item:
                walk(value)

    walk([t.texts for t in templates(lang)])
    walk(words)
    walk(distractors)
    walk(backward_questions(lang))
    out.append(UNKNOWN)
    out.append(numeral_text(lang))
    return tuple(out)


def get_template(template_id: str) -> Template:
    """The registered template with id `template_id` (`en.buying.change_from_bill`). Raises ValueError if none."""
    lang = template_id.partition(".")[0]
    for t in templates(lang) if lang in LANGUAGES else ():
        if t.id == template_id:
            return t
    raise ValueError(f"unknown template {template_id!r}")


def compiled(t: Template, scale: int, cap: int | None = None) -> CompiledTemplate:
    """`t` compiled at number_scale `scale` under max_operand `cap`, once per (id, scale, cap) while it stands."""
    key = (t.id, scale, cap)
    c = _COMPILED.get(key)
    if c is None or c.template is not t:
        if len(_COMPILED) > _MAX_COMPILED:  # bounded: every (number_scale, max_operand) compiles every template
            for stale in [k for k in _COMPILED if k[1:] != (1, None)]:
                del _COMPILED[stale]
        c = _COMPILED[key] = CompiledTemplate(t, lexicon(t.lang)[0], scale, cap)
    return c


def heldout_template_ids(lang: str) -> frozenset:
    """Ids of the held-out templates of `lang`: per topic, the round(10%) (at least one where a topic has three or
    more) of its templates with the smallest `hashing.text_digest` of the id. Stable: depends only on the ids."""
    by_topic: dict[str, list[str]] = {}
    for t in templates(lang):
        by_topic.setdefault(t.topic, []).append(t.id)
    held = []
    for ids in by_topic.values():
        k = max(1, round(len(ids) * HELDOUT_SHARE)) if len(ids) >= 3 else 0
        held.extend(sorted(ids, key=text_digest)[:k])
    return frozenset(held)


__all__ = [
    "HELDOUT_SHARE", "backward_questions", "compiled", "get_template", "heldout_template_ids", "lexicon",
    "templates", "writable_text",
]
