"""Benchmarks: ``python -m bench`` runs them all, ``python -m bench NAME [args]`` runs one.

Each benchmark is a module of this package with a ``main(argv)`` function; add a module and
list it in ``BENCHMARKS`` below.
"""

from __future__ import annotations

#: name -> module (run in this order by ``python -m bench``).
BENCHMARKS: dict[str, str] = {
    "ingest": "bench.ingest",
    "fanout": "bench.fanout",
    "review": "bench.review",
    "dashboard": "bench.dashboard",
    "latency": "bench.latency",
    "inbox": "bench.inbox",
    "serving": "bench.serving",
}
