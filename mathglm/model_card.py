"""`python -m mathglm.model_card BUNDLE --stages ... --examples ... --eval REPORT`: write a shipped bundle's model
card (README.md with YAML front matter; the format is `mathglm.evaluation.model_card`'s, whose `write_card`
arguments, typed and documented, are this command's options).

    python -m mathglm.model_card models/mathglm-10m-arith --eval runs/eval/x/report.json --run-dir runs/gpu_10m_5min \\
        --stages full --examples "12+9" "3.5*4" "(7-9)*3" --wall-time "4 min 40 s" --min-exact 0.5
"""

from __future__ import annotations

import json
import sys
from typing import Sequence

from datagen.cli_parser import CommandParser, add_signature
from mathglm.evaluation.model_card import CardError, write_card
from mathglm.inference.checkpoint import CheckpointError


def build_parser() -> CommandParser:
    parser = CommandParser(prog="python -m mathglm.model_card", description=write_card.__doc__.split("\n\n")[0])
    add_signature(parser, write_card, positional={"bundle"}, aliases={"eval_report": "--eval"})
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        path = write_card(**{name: args[name] for name in vars(args) if name != "__path__"})
    except (CardError, CheckpointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except (OSError, json.JSONDecodeError, KeyError) as err:
        print(f"error: cannot read an input: {' '.join(str(err).split())}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
