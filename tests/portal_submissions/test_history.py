"""The submission history: the LAs the user may see, newest first, with status and counts."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from submissions.models import Submission
from tests.conftest import make_user
from tests.portal_submissions.factories import make_submission

pytestmark = pytest.mark.django_db

HISTORY = "/submissions/"


def test_it_lists_the_las_submissions_newest_first_and_no_one_elses(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    now = timezone.now()
    old = make_submission(status=Submission.Status.SUPERSEDED,
                          created_at=now - datetime.timedelta(days=30))  # fmt: skip
    new = make_submission(status=Submission.Status.HAS_ERRORS, error_count=1234, created_at=now)
    leeds = make_submission("383")

    html = as_persona("viewer").get(HISTORY).content.decode()

    new_link = reverse("submissions:detail", args=[new.id])
    old_link = reverse("submissions:detail", args=[old.id])
    assert html.index(new_link) < html.index(old_link)
    assert reverse("submissions:detail", args=[leeds.id]) not in html
    assert "1,234" in html
    assert 'govuk-tag govuk-tag--red">Has errors' in html


def test_only_users_who_may_upload_see_the_upload_button(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    button = f'href="{reverse("submissions:upload")}"'

    assert button in as_persona("lead").get(HISTORY).content.decode()
    assert button not in as_persona("viewer").get(HISTORY).content.decode()


def test_a_user_of_several_las_can_filter_by_la(client: Client, personas: dict[str, Any]) -> None:
    client.force_login(make_user("both@example.org", ("la_viewer", "370"), ("la_viewer", "383")))
    barnsley, leeds = make_submission("370"), make_submission("383")

    everything = client.get(HISTORY).content.decode()
    only_leeds = client.get(HISTORY, {"la": "383"}).content.decode()

    assert 'name="la"' in everything
    assert reverse("submissions:detail", args=[barnsley.id]) in everything
    assert reverse("submissions:detail", args=[leeds.id]) in everything
    assert reverse("submissions:detail", args=[barnsley.id]) not in only_leeds
    assert reverse("submissions:detail", args=[leeds.id]) in only_leeds


def test_a_user_of_one_la_gets_no_filter(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    assert 'name="la"' not in as_persona("lead").get(HISTORY).content.decode()


@pytest.mark.parametrize("persona", ["case_lead", "risl", "analyst", "access_admin"])
def test_roles_that_may_not_read_reports_get_403(
    as_persona: Callable[[str], Client], personas: dict[str, Any], persona: str
) -> None:
    assert as_persona(persona).get(HISTORY).status_code == 403
