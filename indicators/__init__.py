"""Timely indicators: the registry (``indicators.registry``, plain data), the pure
calculators (``indicators.calculators``: ``compute_all``, ``compute_breakdowns``) and
small-number suppression (``indicators.disclosure``); computing and storing an accepted
submission's values (``indicators.services``) and every scoped read of them
(``indicators.queries``).

Import them from their modules. This package is a Django app, loaded by every web and worker
process, so it re-exports nothing: that would import pandas into processes that never
compute an indicator.
"""
