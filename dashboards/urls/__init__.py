"""The dashboards' URL confs: ``public`` (included at ``published/``)."""
