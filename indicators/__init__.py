"""Timely indicators: the registry (``indicators.registry``, plain data) and the pure
calculators (``indicators.calculators``: ``compute_all``, ``compute_breakdowns``).

Import them from their modules. This package is a Django app, loaded by every web and worker
process, so it re-exports nothing: that would import pandas into processes that never
compute an indicator.
"""
