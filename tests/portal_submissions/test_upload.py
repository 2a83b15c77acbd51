"""The upload page: choose the files and dates, then go to the status page; every kind of bad
input comes back as an error message on the form, never a server error."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import LocalAuthority
from submissions.models import Submission

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "readers" / "data"
UPLOAD = "/submissions/new/"
#: What the file box says when another field's error sends the page back.
KEPT_NOT = (
    "Choose your files again: files cannot be kept after an error (you chose CIN_Census_2024.xml)"
)


def cin_file(name: str = "CIN_Census_2024.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (DATA / "CIN2rows.xml").read_bytes(), "text/xml")


def missing_csv() -> SimpleUploadedFile:
    return SimpleUploadedFile("missing.csv", (DATA / "ssda903_missing.csv").read_bytes())


def post(client: Client, *files: SimpleUploadedFile, **fields: Any) -> Any:
    data = {
        "as_of_day": "31",
        "as_of_month": "3",
        "as_of_year": "2024",
        "uploads": list(files),
        **fields,
    }
    return client.post(UPLOAD, data)


def errors(response: Any) -> list[str]:
    assert response.status_code == 200
    form = response.context["form"]
    return [e for field_errors in form.errors.values() for e in field_errors]


def test_the_page_names_the_la_when_the_user_can_upload_for_only_one(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    html = as_persona("lead").get(UPLOAD).content.decode()

    assert "This extract is for <strong>Barnsley</strong>" in html
    assert 'type="hidden" name="local_authority"' in html
    assert 'type="file" name="uploads"' in html
    assert "multiple" in html
    assert 'class="govuk-date-input"' in html
    assert 'id="id_as_of"' in html


def test_a_user_with_several_las_chooses_one(client: Client, personas: dict[str, Any]) -> None:
    from tests.conftest import make_user

    user = make_user("both@example.org", ("la_data_lead", "370"), ("la_data_lead", "383"))
    client.force_login(user)

    html = client.get(UPLOAD).content.decode()

    assert 'name="local_authority" type="radio"' in html
    assert ">Barnsley (370)</label>" in html
    assert ">Leeds (383)</label>" in html


def test_a_valid_upload_creates_the_submission_and_queues_it_after_commit(
    as_persona: Callable[[str], Client],
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    barnsley = LocalAuthority.objects.get(code="370")
    with (
        mock.patch("submissions.views.process_submission.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post(
            as_persona("lead"), cin_file(), missing_csv(), local_authority=str(barnsley.pk),
            coverage_start_day="1", coverage_start_month="4", coverage_start_year="2021",
        )  # fmt: skip

    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("submissions:detail", args=[submission.id])
    assert submission.local_authority == barnsley
    assert submission.created_by == personas["lead"]
    assert submission.as_of == datetime.date(2024, 3, 31)
    assert submission.coverage_start == datetime.date(2021, 4, 1)
    assert sorted(f.display_name for f in submission.files.all()) == [
        "CIN_Census_2024.xml", "missing.csv",
    ]  # fmt: skip
    delay.assert_called_once_with(str(submission.id))


def test_queueing_failure_does_not_fail_the_upload(
    as_persona: Callable[[str], Client],
    personas: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """With the broker down the submission is still saved; the reconciler queues it later."""
    barnsley = LocalAuthority.objects.get(code="370")
    with (
        mock.patch("submissions.views.process_submission.delay", side_effect=OSError("down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post(as_persona("lead"), cin_file(), local_authority=str(barnsley.pk))

    assert response.status_code == 302
    assert Submission.objects.count() == 1


@pytest.mark.parametrize(
    ("files", "fields", "message"),
    [
        ((), {}, "Select the extract files"),
        (
            (SimpleUploadedFile("report.pdf", b"%PDF-1.4"),),
            {},
            "The file report.pdf is not a type we accept.",
        ),
        (
            (SimpleUploadedFile("episodes.csv", b""),),
            {},
            "The file episodes.csv is empty (0 bytes).",
        ),
        (
            (SimpleUploadedFile("header.csv", bytes(range(256)) * 8),),
            {},
            "The file header.csv is named .csv but contains",
        ),
        (
            (cin_file("a.xml"), cin_file("A.XML")),
            {},
            "You chose 2 files called a.xml.",
        ),
        (
            (cin_file(),),
            {"as_of_day": "", "as_of_month": "", "as_of_year": ""},
            "Enter the extract date",
        ),
        ((cin_file(),), {"as_of_month": ""}, "The extract date must include a month"),
        (
            (cin_file(),),
            {"as_of_day": "31", "as_of_month": "2"},
            "The extract date must be a real date",
        ),
        ((cin_file(),), {"as_of_year": "24"}, "The extract date must be a real date"),
        ((cin_file(),), {"as_of_year": "2024x"}, "The extract date must be a real date"),
        ((cin_file(),), {"as_of_day": "9" * 30}, "The extract date must be a real date"),
        (
            (cin_file(),),
            {"coverage_start_day": "1", "coverage_start_month": "4", "coverage_start_year": "2024"},
            "The date the extract is complete from must be before the extract date",
        ),
    ],
)
def test_bad_input_is_reported_on_the_form(
    as_persona: Callable[[str], Client],
    personas: dict[str, Any],
    files: tuple[SimpleUploadedFile, ...],
    fields: dict[str, str],
    message: str,
) -> None:
    barnsley = LocalAuthority.objects.get(code="370")

    response = post(as_persona("lead"), *files, local_authority=str(barnsley.pk), **fields)

    assert any(error.startswith(message) for error in errors(response))
    assert Submission.objects.count() == 0
    html = response.content.decode()
    # In the error summary and beside the field.
    assert re.search(rf'<a href="#[^"]+">{re.escape(message)}', html)
    assert re.search(rf"Error:</span> {re.escape(message)}", html)
    assert "<title>Error: Upload an extract" in html


def test_a_future_extract_date_is_refused(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    barnsley = LocalAuthority.objects.get(code="370")

    response = post(
        as_persona("lead"), cin_file(), local_authority=str(barnsley.pk),
        as_of_day=str(tomorrow.day), as_of_month=str(tomorrow.month),
        as_of_year=str(tomorrow.year),
    )  # fmt: skip

    assert errors(response) == ["The extract date must be today or in the past", KEPT_NOT]


def test_an_la_the_user_cannot_upload_for_is_refused(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    leeds = LocalAuthority.objects.get(code="383")

    response = post(as_persona("lead"), cin_file(), local_authority=str(leeds.pk))

    assert errors(response) == ["Select a local authority you can upload extracts for", KEPT_NOT]
    assert Submission.objects.count() == 0


def test_a_file_the_service_rejects_is_reported_on_the_form(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    barnsley = LocalAuthority.objects.get(code="370")
    refusal = ValidationError("episodes.csv is not a CSV file: it looks like binary data")

    with mock.patch("submissions.views.services.create_submission", side_effect=refusal):
        response = post(as_persona("lead"), cin_file(), local_authority=str(barnsley.pk))

    assert errors(response) == ["episodes.csv is not a CSV file: it looks like binary data"]
    assert 'href="#id_uploads"' in response.content.decode()


def test_the_date_error_links_to_the_day_box(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    barnsley = LocalAuthority.objects.get(code="370")

    response = post(as_persona("lead"), cin_file(), local_authority=str(barnsley.pk),
                    as_of_day="")  # fmt: skip

    html = response.content.decode()
    assert 'href="#id_as_of"' in html
    assert 'id="id_as_of" aria-invalid="true"' in html or 'aria-invalid="true"' in html
    assert "govuk-input--error" in html


def test_a_file_over_the_size_cap_is_refused_while_it_streams(
    as_persona: Callable[[str], Client], personas: dict[str, Any], settings: Any
) -> None:
    settings.UPLOAD_MAX_FILE_BYTES = 1000
    barnsley = LocalAuthority.objects.get(code="370")

    response = post(as_persona("lead"), cin_file(), local_authority=str(barnsley.pk))

    assert errors(response)[0].startswith("The file CIN_Census_2024.xml is larger than")
    assert Submission.objects.count() == 0


def test_after_another_fields_error_the_page_says_to_choose_the_files_again(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    """A browser never fills a file box in again, so the page must say so; and the second
    submit, with the files chosen again and the date put right, goes through."""
    client = as_persona("lead")
    barnsley = LocalAuthority.objects.get(code="370")

    response = post(client, cin_file(), missing_csv(), local_authority=str(barnsley.pk),
                    as_of_day="")  # fmt: skip

    message = (
        "Choose your files again: files cannot be kept after an error "
        "(you chose CIN_Census_2024.xml, missing.csv)"
    )
    assert errors(response) == ["The extract date must include a day", message]
    html = response.content.decode()
    assert f'<a href="#id_uploads">{message}</a>' in html
    assert Submission.objects.count() == 0

    response = post(client, cin_file(), missing_csv(), local_authority=str(barnsley.pk))
    assert response.status_code == 302
    assert Submission.objects.count() == 1


def test_a_file_error_alone_does_not_also_say_to_choose_again(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    barnsley = LocalAuthority.objects.get(code="370")

    response = post(as_persona("lead"), local_authority=str(barnsley.pk))

    assert errors(response) == ["Select the extract files"]


def test_the_page_gives_its_script_the_servers_messages(
    as_persona: Callable[[str], Client], personas: dict[str, Any]
) -> None:
    """The script that checks the other fields before sending says what the server would."""
    html = as_persona("lead").get(UPLOAD).content.decode()

    assert 'data-files-required="Select the extract files"' in html
    assert 'data-coverage-after="The date the extract is complete from must be before' in html
    assert 'data-date-noun="extract date" data-date-required' in html
    assert re.search(r'data-date-noun="date the extract is complete from"(?! data-date-req)', html)
    assert "submissions/js/upload-check.js" in html
