"""The dashboards' views, one module per audience.

* ``public``: the published figures, open to everyone (``login_not_required``, namespace
  ``dashboards``); served through the public cache (``dashboards.cache``).
* ``restricted`` (to come, issue 12): the timely figures for signed-in roles, each view
  declaring ``portal.access.requires(Action.VIEW_DASHBOARD, ...)`` and never using the
  public cache.
"""
