"""The published annual figures of the public dashboard.

* ``catalogue``: what is published, one declaration per indicator (metadata, source file,
  columns and rows), in page order;
* ``loader``: reads the shipped files in ``dashboards/published_data/`` into the database
  (``manage.py load_published_data``);
* ``queries``: the query API the pages call, returning plain frozen dataclasses.
"""
