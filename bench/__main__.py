"""Run benchmarks: ``python -m bench [NAME ...]``.

Each ``bench/bench_<name>.py`` has ``main(argv: list[str]) -> None`` that runs its
baseline and the measured path in the same run and prints a Markdown block to add
to ``bench/RESULTS.md``.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main() -> None:
    here = Path(__file__).parent
    names = sorted(p.stem.removeprefix("bench_") for p in here.glob("bench_*.py"))
    # Leading words are benchmark names; options and their values follow.
    wanted: list[str] = []
    for arg in sys.argv[1:]:
        if arg.startswith("-"):
            break
        if arg not in names:
            sys.exit(f"unknown benchmark {arg!r}; known: {', '.join(names)}")
        wanted.append(arg)
    wanted = wanted or names
    for name in wanted:
        print(f"## {name}", flush=True)
        importlib.import_module(f"bench.bench_{name}").main(sys.argv[1:])


if __name__ == "__main__":
    main()
