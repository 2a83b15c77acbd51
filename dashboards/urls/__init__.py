"""The dashboards' URL confs, one per namespace, each with its own access rule.

* ``public`` (namespace ``dashboards``, at ``published/``): every view needs no sign-in.
* ``restricted`` (namespace ``restricted_dashboards``, at ``dashboards/``): every view needs
  a dashboard action. ``tests/permissions/test_dashboard_namespaces.py`` holds both rules.
"""
