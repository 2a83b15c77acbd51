"""Who may do what, to which local authorities' data (portal.access)."""

from __future__ import annotations

from typing import Any

import pytest

from portal.access import Action, can, local_authorities_for
from portal.models import LocalAuthority

pytestmark = pytest.mark.django_db


def codes(user: Any, action: Action) -> set[str]:
    return set(local_authorities_for(user, action).values_list("code", flat=True))


def test_la_users_reach_only_their_own_la(personas: dict[str, Any]) -> None:
    assert codes(personas["lead"], Action.UPLOAD) == {"370"}
    assert codes(personas["viewer"], Action.VIEW_CHILD_LEVEL) == {"370"}
    assert codes(personas["viewer"], Action.UPLOAD) == set()
    assert codes(personas["other_lead"], Action.VIEW_DASHBOARD) == {"383"}


def test_dfe_roles_see_aggregates_for_their_scope_and_never_child_level(
    personas: dict[str, Any],
) -> None:
    yorkshire = set(
        LocalAuthority.objects.filter(region__code="E12000003").values_list("code", flat=True)
    )

    assert codes(personas["case_lead"], Action.VIEW_DASHBOARD) == {"370"}
    assert codes(personas["risl"], Action.VIEW_DASHBOARD) == yorkshire
    assert len(codes(personas["analyst"], Action.VIEW_DASHBOARD)) == LocalAuthority.objects.count()
    for name in ("case_lead", "risl", "analyst"):
        for action in (Action.VIEW_CHILD_LEVEL, Action.VIEW_REPORT, Action.UPLOAD, Action.DECIDE):
            assert codes(personas[name], action) == set(), (name, action)


def test_a_london_region_scope_covers_inner_and_outer_london(reference_data: None) -> None:
    from tests.conftest import make_user

    risl = make_user("london@education.example.org", ("risl", "E12000007"))

    assert "202" in codes(risl, Action.VIEW_DASHBOARD)  # Camden, Inner London
    assert "301" in codes(risl, Action.VIEW_DASHBOARD)  # Barking and Dagenham, Outer London
    assert "370" not in codes(risl, Action.VIEW_DASHBOARD)


def test_access_admins_manage_access_but_see_no_data(personas: dict[str, Any]) -> None:
    admin = personas["access_admin"]

    assert can(admin, Action.MANAGE_ACCESS)
    assert can(admin, Action.VIEW_AUDIT)
    assert codes(admin, Action.VIEW_DASHBOARD) == set()
    assert not can(personas["lead"], Action.MANAGE_ACCESS)


def test_several_memberships_add_up(reference_data: None) -> None:
    from tests.conftest import make_user

    user = make_user("two@example.org", ("la_viewer", "370"), ("la_data_lead", "383"))

    assert codes(user, Action.VIEW_DASHBOARD) == {"370", "383"}
    assert codes(user, Action.UPLOAD) == {"383"}


def test_deactivated_and_anonymous_users_reach_nothing(personas: dict[str, Any]) -> None:
    from django.contrib.auth.models import AnonymousUser

    lead = personas["lead"]
    lead.is_active = False

    assert codes(lead, Action.VIEW_DASHBOARD) == set()
    assert codes(AnonymousUser(), Action.VIEW_DASHBOARD) == set()


def test_an_api_client_uploads_for_its_one_la_and_nothing_else(reference_data: None) -> None:
    from portal.access import ApiClient
    from submissions.models import Submission

    barnsley, leeds = LocalAuthority.objects.get(code="370"), LocalAuthority.objects.get(code="383")
    client = ApiClient(name="Barnsley's case-management system", local_authority_id=barnsley.pk)
    for la in (barnsley, leeds):
        Submission.objects.create(local_authority=la, as_of="2026-03-31")

    assert codes(client, Action.UPLOAD) == {"370"}
    assert can(client, Action.UPLOAD, barnsley)
    assert not can(client, Action.UPLOAD, leeds)
    for action in Action:
        if action is not Action.UPLOAD:
            assert not can(client, action), action
            assert codes(client, action) == set(), action
    visible = Submission.objects.restrict(client, Action.UPLOAD)
    assert list(visible.values_list("local_authority__code", flat=True)) == ["370"]
    assert not can(ApiClient("switched off", barnsley.pk, is_active=False), Action.UPLOAD, barnsley)
