"""The published annual figures of the public dashboard (being split: see ``catalogue``)."""
