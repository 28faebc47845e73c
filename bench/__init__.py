"""``make bench``: latency, cold-start and load figures for the docs/design.md §6 budgets.

Run it with ``python -m bench.run`` (``BENCH_QUICK=1`` for the reduced version) and compare two
runs with ``python -m bench.compare old.json new.json``. See bench/README.md.

Deliberately empty of imports: :mod:`bench.bare_handler` lives in this package, and whatever
this module imported would count towards the bare interpreter's start.
"""
