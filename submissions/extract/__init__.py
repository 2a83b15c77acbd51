"""The extract engine: the canonical model, the format readers, the validation rules and the
one check step (``check``) that reads then validates.

Pure Python over pandas, with no Django and no other project package, so the same code runs in
the worker, in the offline checker on an LA's own machine and behind the coming API intake
(``tests/test_layering.py`` checks it). Anything that needs settings or the database takes its
values as arguments from the Django app around it (``submissions``).
"""
