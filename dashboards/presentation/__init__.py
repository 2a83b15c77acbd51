"""How dashboard figures are shown, shared by the public and the restricted pages.

Pure dataclasses and functions, no requests, no cache: ``tables`` (a table and its CSV),
``charts`` (the Chart.js specs and the chart-with-table section), ``summaries`` (the sentences
beside each chart) and ``formatting`` (how a number is written). ``formatting`` is a leaf that
the published query API uses too, so a figure reads the same in a ``Value``, a table, a CSV
file and a chart; the other modules sit above the query API's dataclasses.
"""
