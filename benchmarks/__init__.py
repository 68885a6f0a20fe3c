"""Benchmarks of lungang against the baselines a district would otherwise use.

``python -m benchmarks run`` generates districts by seed, runs every method on each in
its own process with the same time limit and workers, checks every plan with
:func:`solver.validate.validate_plan`, scores every plan on the same objective terms
and writes ``results.csv`` and ``results.md``. The protocol is in
``benchmarks/README.md``; the methods are in :mod:`benchmarks.baselines`, the harness
in :mod:`benchmarks.run`.
"""
