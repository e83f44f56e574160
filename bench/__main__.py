"""``python -m bench`` runs every benchmark; ``python -m bench NAME [args...]`` runs one."""

from __future__ import annotations

import importlib
import sys

from bench import BENCHMARKS


def main(argv: list[str]) -> int:
    """Dispatch to one benchmark's ``main`` or run them all in turn."""
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        print("benchmarks:", ", ".join(BENCHMARKS))
        return 0
    if argv:
        name, rest = argv[0], argv[1:]
        if name not in BENCHMARKS:
            print(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}",
                  file=sys.stderr)
            return 2
        return importlib.import_module(BENCHMARKS[name]).main(rest) or 0
    status = 0
    for name, module in BENCHMARKS.items():
        print(f"== {name} ==", flush=True)
        status = max(status, importlib.import_module(module).main([]) or 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
