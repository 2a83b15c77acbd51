"""The dashboards' views: ``public`` (no sign-in)."""
