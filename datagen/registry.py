"""Named generators. A generator is `gen(rng: random.Random, config, granularity="decomposed") -> Problem` (or a
WordProblem); it draws every random choice from `rng` (never the global `random`).

Every built-in generator ("arithmetic" in `generators`, "word" in `word.sampling`) is registered when the `datagen`
package is imported, so `list_generators()` does not depend on what else was imported."""

from __future__ import annotations

from typing import Callable

_GENERATORS: dict[str, Callable] = {}


def register_generator(name: str):
    """Decorator registering a generator under `name` (a second registration of a name is an error)."""

    def decorate(fn):
        if name in _GENERATORS and _GENERATORS[name] is not fn:
            raise ValueError(f"generator {name!r} is already registered")
        _GENERATORS[name] = fn
        return fn

    return decorate


def get_generator(name: str) -> Callable:
    """The generator registered under `name`. Raises ValueError naming the registered ones."""
    try:
        return _GENERATORS[name]
    except KeyError:
        raise ValueError(f"unknown generator {name!r}; registered: {', '.join(sorted(_GENERATORS))}") from None


def list_generators() -> list[str]:
    """Names of every registered generator, sorted."""
    return sorted(_GENERATORS)
