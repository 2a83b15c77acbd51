"""Who may open which submission URL.

Following ``portal.access.get_for_user_or_404``: a user who cannot see Barnsley at all (Leeds'
data lead, the access admin) gets 404 on every URL of a Barnsley submission, whatever the
method, so they cannot even learn it exists. The DfE roles can see Barnsley's aggregates, so
they know its submissions exist, but validation reports and raw files hold child-level data
their roles never get: 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from submissions.models import Submission
from tests.portal_submissions.factories import make_submission

pytestmark = pytest.mark.django_db

OBJECT_URLS = [
    "detail", "status_json", "accept", "report", "report_csv", "report_xlsx", "explain",
    "raw_file",
]  # fmt: skip
POST_URLS = ["accept", "explain"]
CHILD_LEVEL_URLS = ["detail", "status_json", "report", "report_csv", "report_xlsx", "raw_file"]


def url_of(name: str, sub: Submission) -> str:
    args: list[Any] = [sub.id]
    if name == "explain":
        args.append("8675Q")
    elif name == "raw_file":
        args.append(sub.files.get().id)
    return reverse(f"submissions:{name}", args=args)


def test_every_submission_url_is_covered_here() -> None:
    from submissions.urls import urlpatterns

    with_submission = {p.name for p in urlpatterns if "submission_id" in str(p.pattern)}
    assert with_submission == set(OBJECT_URLS)


@pytest.mark.parametrize("persona", ["other_lead", "access_admin"])
@pytest.mark.parametrize(
    ("method", "name"), [("get", name) for name in OBJECT_URLS] + [("post", n) for n in POST_URLS]
)
def test_users_who_cannot_see_the_la_get_404_on_every_url(
    as_persona: Callable[[str], Client], submission: Submission, persona: str, name: str,
    method: str,
) -> None:  # fmt: skip
    """Even a GET of a POST-only URL: the submission is looked up before the method is."""
    response = getattr(as_persona(persona), method)(url_of(name, submission))

    assert response.status_code == 404


@pytest.mark.parametrize("persona", ["case_lead", "risl", "analyst"])
@pytest.mark.parametrize("name", CHILD_LEVEL_URLS)
def test_dfe_roles_may_not_see_reports_or_raw_files(
    as_persona: Callable[[str], Client], submission: Submission, persona: str, name: str
) -> None:
    response = as_persona(persona).get(url_of(name, submission))

    assert response.status_code == 403


def test_a_file_of_another_submission_is_not_found_under_this_one(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    from tests.portal_submissions.factories import make_file

    other = make_submission()
    file = make_file(other)

    response = as_persona("lead").get(
        reverse("submissions:raw_file", args=[submission.id, file.id])
    )

    assert response.status_code == 404


@pytest.mark.parametrize("name", OBJECT_URLS)
def test_anonymous_visitors_are_sent_to_sign_in(
    client: Client, submission: Submission, name: str
) -> None:
    response = client.get(url_of(name, submission))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_post_only_explain_url_refuses_a_get_from_someone_who_may_use_it(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    assert as_persona("lead").get(url_of("explain", submission)).status_code == 405


def test_a_get_of_the_accept_url_asks_for_confirmation_and_changes_nothing(
    as_persona: Callable[[str], Client], submission: Submission
) -> None:
    """The GET is the confirmation page (``test_accept.py``); for this submission, which has
    errors, it goes back to the status page, which says why it cannot be accepted."""
    response = as_persona("lead").get(url_of("accept", submission))

    assert response.status_code == 302
    assert response["Location"] == reverse("submissions:detail", args=[submission.id])
    submission.refresh_from_db()
    assert submission.status == Submission.Status.HAS_ERRORS


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("lead", 200), ("viewer", 403), ("case_lead", 403), ("access_admin", 403)],
)
def test_only_users_who_may_upload_see_the_upload_page(
    as_persona: Callable[[str], Client], personas: dict[str, Any], persona: str, expected: int
) -> None:
    assert as_persona(persona).get(reverse("submissions:upload")).status_code == expected
