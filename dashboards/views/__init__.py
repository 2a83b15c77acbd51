"""The dashboards' views, one module per audience.

* ``public``: the published figures, open to everyone (``login_not_required``, namespace
  ``dashboards``); served through the public cache (``dashboards.cache``).
* ``restricted`` (to come, issue 12): the timely figures for signed-in roles, each view
  declaring ``portal.access.requires(Action.VIEW_DASHBOARD, ...)`` and never using the
  public cache.
* ``drilldown``: the child records behind one timely figure, for the LA's own users only
  (``requires(Action.VIEW_CHILD_LEVEL, per_object=True, conceal=True)``: 404 for DfE roles).
"""
