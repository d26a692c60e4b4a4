"""The one cache of sampling plans: what a frozen config implies for drawing, computed once per config.

Both generators draw one problem per call with a config (`generators.arithmetic` with an ArithmeticConfig,
`word.sampling.word_problem` with a WordConfig) and first turn it into a plan (digit spans, operation-count
weights; the eligible templates, whose capped trial draws cost far more than a problem). One policy for both:

- By identity first: a curriculum hands the same config object to every call, and hashing a 28-field frozen
  dataclass per problem costs more than drawing an operand. A cached plan keeps its config alive, so an id is
  never reused while its entry stands, and the entry's config is compared with `is` all the same.
- Then by equality: `sample_word_problems` and `dataclasses.replace` make new, equal configs, which share the plan.
- Bounded: past `max_plans` configs the least recently built or found by equality is dropped (with the identity
  entries that lead to it); a plan is a pure function of its config, so a dropped one is rebuilt the same.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

Config = TypeVar("Config", bound=Hashable)
Plan = TypeVar("Plan")


class PlanCache(Generic[Config, Plan]):
    """`cache(config)`: the plan `build(config)`, built once per equal config (see the module docstring)."""

    def __init__(self, build: Callable[[Config], Plan], max_plans: int):
        self.build = build
        self.max_plans = max_plans
        self._by_value: OrderedDict[Config, Plan] = OrderedDict()
        self._by_id: dict[int, tuple[Config, Plan]] = {}

    def __call__(self, config: Config) -> Plan:
        entry = self._by_id.get(id(config))
        if entry is not None and entry[0] is config:
            return entry[1]
        plan = self._by_value.get(config)
        if plan is None:
            plan = self._by_value[config] = self.build(config)
            if len(self._by_value) > self.max_plans:
                self._by_value.popitem(last=False)
                # Identity entries of the dropped plan would keep it alive: start them afresh (they refill at once).
                self._by_id.clear()
        else:
            self._by_value.move_to_end(config)
        if len(self._by_id) >= 4 * self.max_plans:  # many equal configs made anew: keep the identity table small
            self._by_id.clear()
        self._by_id[id(config)] = (config, plan)
        return plan

    def __len__(self) -> int:
        """Plans held (one per distinct config)."""
        return len(self._by_value)

    def clear(self) -> None:
        self._by_value.clear()
        self._by_id.clear()
