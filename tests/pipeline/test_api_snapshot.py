"""API snapshots (``submissions.api.snapshot``): an API-fed LA's current records become a
submission that is checked, accepted (by a person, or automatically when the feed says so)
and turned into figures like an upload; the figures equal those of the same children sent as
a CIN census."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from indicators import services as indicator_services
from indicators.models import IndicatorValue
from portal.models import AuditEvent, LocalAuthority
from submissions import services
from submissions.api import services as api_services
from submissions.api import snapshot
from submissions.models import ApiFeed, Submission
from submissions.synthetic.model import generate
from submissions.synthetic.writers import write_api_json, write_cin_census
from workers import tasks

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 31)
START = date(2023, 4, 1)


@pytest.fixture
def generated() -> Any:
    return generate("370", START, AS_OF, children=300, clean=True, seed=7)


def push(la: LocalAuthority, records: list[dict[str, Any]]) -> None:
    """The state the endpoint leaves, batch by batch (the endpoint itself is tested over
    HTTP in tests/api_intake)."""
    for start in range(0, len(records), 100):
        batch = records[start : start + 100]
        body = json.dumps(batch).encode()
        api_services.apply_batch(la, None, hashlib.sha256(body).hexdigest(), batch)


def pushed(barnsley: LocalAuthority, generated: Any, tmp_path: Path) -> list[dict[str, Any]]:
    (tmp_path / "api").mkdir(exist_ok=True)
    (path,) = write_api_json(generated, tmp_path / "api")
    records = json.loads(path.read_text())
    push(barnsley, records)
    return records


def check_in_process(submission: Submission) -> Submission:
    """What the checks worker does with the submission (``workers.tasks.process_submission``),
    in this process."""
    claimed = services.claim(submission)
    assert claimed is not None
    checked = services.run_checks(claimed)
    tasks.accept_if_fed_so(checked)
    return Submission.objects.get(pk=submission.pk)


def figures(la: LocalAuthority) -> dict[tuple[str, date], tuple[Any, ...]]:
    return {
        (v.indicator_id, v.period_end): (v.numerator, v.denominator, v.value, v.status)
        for v in IndicatorValue.objects.filter(local_authority=la)
    }


def store_figures(submission: Submission) -> None:
    computing = indicator_services.claim_indicators(submission)
    assert computing is not None
    indicator_services.store_indicators(computing)


def test_a_snapshot_is_a_submission_of_the_current_records_with_the_apis_window(
    barnsley: LocalAuthority, generated: Any, tmp_path: Path, lead: Any
) -> None:
    records = pushed(barnsley, generated, tmp_path)

    submission = snapshot.take_snapshot(barnsley, as_of=AS_OF, user=lead)

    assert submission.source == Submission.Source.API
    assert submission.status == Submission.Status.RECEIVED
    assert submission.as_of == AS_OF
    assert submission.coverage_start == date(2023, 4, 1)  # FY start 24 months before
    (file,) = submission.files.all()
    assert file.display_name == "api-snapshot-370-2026-03-31.json"
    event = AuditEvent.objects.get(action="upload", object_id=str(submission.pk))
    assert event.details["record_count"] == len(records)
    assert event.details["snapshot"] == "requested"
    assert "child" not in json.dumps(event.details).replace("children", "")


def test_nothing_to_snapshot_is_said_plainly(barnsley: LocalAuthority) -> None:
    with pytest.raises(snapshot.NothingToSnapshot, match="No child records have been received"):
        snapshot.take_snapshot(barnsley, as_of=AS_OF)
    assert not Submission.objects.exists()


def test_a_clean_snapshot_waits_for_a_person_unless_the_feed_accepts_automatically(
    barnsley: LocalAuthority, generated: Any, tmp_path: Path
) -> None:
    pushed(barnsley, generated, tmp_path)
    waiting = check_in_process(snapshot.take_snapshot(barnsley, as_of=AS_OF))
    assert (waiting.status, waiting.error_count) == (Submission.Status.READY, 0)

    ApiFeed.objects.filter(local_authority=barnsley).update(auto_accept=True)
    accepted = check_in_process(snapshot.take_snapshot(barnsley, as_of=AS_OF))

    assert accepted.status == Submission.Status.ACCEPTED
    assert accepted.accepted_by is None
    decision = AuditEvent.objects.get(action="submission_decision", object_id=str(accepted.pk))
    assert decision.details["decision"] == "accepted_automatically"
    assert decision.actor is None


def test_a_snapshot_with_errors_is_never_accepted_automatically(
    barnsley: LocalAuthority, tmp_path: Path
) -> None:
    (path,) = write_api_json(generate("370", START, AS_OF, children=200, seed=3), tmp_path)
    push(barnsley, json.loads(path.read_text()))  # not --clean: deliberate errors
    ApiFeed.objects.create(local_authority=barnsley, auto_accept=True)

    checked = check_in_process(snapshot.take_snapshot(barnsley, as_of=AS_OF))

    assert checked.status == Submission.Status.HAS_ERRORS
    assert checked.error_count > 0


def test_api_fed_figures_equal_those_of_the_same_children_sent_as_a_cin_census(
    barnsley: LocalAuthority, generated: Any, tmp_path: Path, lead: Any, open_upload: Any
) -> None:
    (tmp_path / "cin").mkdir()
    census_files = write_cin_census(generated, tmp_path / "cin")
    upload = services.create_submission(
        local_authority=barnsley,
        user=lead,
        as_of=AS_OF,
        uploads=[open_upload(path) for path in census_files],
    )
    census = check_in_process(upload)
    assert census.error_count == 0, census.findings.values_list("code", "message")[:5]
    services.accept(census, lead)
    store_figures(census)
    from_census = figures(barnsley)

    pushed(barnsley, generated, tmp_path)
    ApiFeed.objects.create(local_authority=barnsley, auto_accept=True)
    fed = check_in_process(snapshot.take_snapshot(barnsley, as_of=AS_OF))
    assert fed.status == Submission.Status.ACCEPTED
    store_figures(fed)
    from_api = figures(barnsley)

    assert set(from_api) == set(from_census)
    # Where the formats differ, so do the figures, as docs/indicators.md says: the census has
    # no looked-after children (no_data), and the payload no previous-plan count, so a repeat
    # plan "ever" means ever within the payload's window, never more than the census says.
    carried_by_both = [
        key
        for key in from_census
        if key[0] != "repeat_cpp_ever" and from_census[key][3] != "no_data"
        and "insufficient_history" not in (from_census[key][3], from_api[key][3])
    ]  # fmt: skip
    assert len(carried_by_both) > 100
    assert {"cpp_rate", "repeat_cpp_12m", "nfa_at_assessment"} <= {k[0] for k in carried_by_both}
    differing = {
        key: (from_census[key], from_api[key])
        for key in carried_by_both
        if from_census[key] != from_api[key]
    }
    assert differing == {}
    assert any(from_api[key][0] for key in carried_by_both)  # not all zeros
    for key in from_census:
        if key[0] == "repeat_cpp_ever" and from_census[key][0] is not None:
            assert from_api[key][0] <= from_census[key][0]
            assert from_api[key][1] == from_census[key][1]


def test_the_nightly_run_takes_due_snapshots_once_a_day(
    barnsley: LocalAuthority, generated: Any, tmp_path: Path
) -> None:
    london = ZoneInfo("Europe/London")
    with time_machine.travel(datetime(2026, 4, 1, 23, 0, tzinfo=london), tick=False):
        pushed(barnsley, generated, tmp_path)
    ApiFeed.objects.create(local_authority=barnsley, snapshot_hour=2)
    sent: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tasks.process_submission, "delay", sent.append)
        with time_machine.travel(datetime(2026, 4, 2, 1, 5, tzinfo=london), tick=False):
            assert tasks.snapshot_api_feeds() == 0  # not its hour
        with time_machine.travel(datetime(2026, 4, 2, 2, 5, tzinfo=london), tick=False):
            assert tasks.snapshot_api_feeds() == 1
            assert tasks.snapshot_api_feeds() == 0  # taken today already
        with time_machine.travel(datetime(2026, 4, 3, 2, 5, tzinfo=london), tick=False):
            assert tasks.snapshot_api_feeds() == 0  # nothing changed since
    (taken,) = Submission.objects.filter(source=Submission.Source.API)
    assert sent == [str(taken.pk)]
    assert taken.as_of == date(2026, 4, 2)
    assert taken.created_by is None


def test_snapshot_api_command_checks_accepts_and_prints_the_check_extract_document(
    barnsley: LocalAuthority, generated: Any, tmp_path: Path, capsys: Any
) -> None:
    pushed(barnsley, generated, tmp_path)
    ApiFeed.objects.create(local_authority=barnsley, auto_accept=True)

    call_command("snapshot_api", "--la", "370", "--as-of", "2026-03-31", "--json")

    document = json.loads(capsys.readouterr().out)
    assert document["la"] == "370"
    assert document["formats"] == ["dfe_csc_api_json"]
    assert [f for f in document["findings"] if f["severity"] == "error"] == []
    assert {"8610", "8730"} <= {rule["code"] for rule in document["not_applicable"]}
    assert {row["id"] for row in document["indicators"]} >= {"repeat_cpp_12m", "cpp_rate"}
    (taken,) = Submission.objects.filter(source=Submission.Source.API)
    assert taken.status == Submission.Status.ACCEPTED
    assert IndicatorValue.objects.filter(submission=taken).exists()


def test_snapshot_api_command_says_when_there_is_nothing(barnsley: LocalAuthority) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No child records"):
        call_command("snapshot_api", "--la", "370")


def test_the_feed_page_takes_a_snapshot_and_saves_settings(
    barnsley: LocalAuthority, generated: Any, tmp_path: Path, client: Any, lead: Any,
    personas: dict[str, Any],
) -> None:  # fmt: skip
    records = pushed(barnsley, generated, tmp_path)
    url = reverse("submissions:api_feed", args=["370"])
    client.force_login(lead)

    page = client.get(url).content.decode()
    assert f"check the {len(records)} records held" in page
    assert "Take a snapshot" in page

    response = client.post(url, {"action": "settings", "snapshot_hour": "4", "auto_accept": "on"})
    assert response.status_code == 302
    feed = ApiFeed.objects.get(local_authority=barnsley)
    assert (feed.snapshot_hour, feed.auto_accept, feed.updated_by) == (4, True, lead)
    assert AuditEvent.objects.filter(action="api_feed_changed", organisation="370").exists()

    response = client.post(url, {"action": "snapshot"})
    (taken,) = Submission.objects.filter(source=Submission.Source.API)
    assert response["Location"] == reverse("submissions:detail", args=[taken.pk])
    assert taken.created_by == lead

    # Other LAs' people get the same 404 as for an LA that does not exist; a viewer sees the
    # feed but cannot take a snapshot or change the settings.
    client.force_login(personas["other_lead"])
    assert client.get(url).status_code == 404
    client.force_login(personas["viewer"])
    assert "Take a snapshot" not in client.get(url).content.decode()
    assert client.post(url, {"action": "snapshot"}).status_code == 404


def test_an_api_fed_las_903_upload_is_added_to_its_snapshots_without_doubling_episodes(
    barnsley: LocalAuthority, generated: Any, tmp_path: Path, lead: Any, open_upload: Any,
    client: Any,
) -> None:  # fmt: skip
    from submissions.synthetic.writers import write_903_csv

    pushed(barnsley, generated, tmp_path)
    ApiFeed.objects.create(local_authority=barnsley)
    (tmp_path / "903").mkdir()
    tables = write_903_csv(generated, tmp_path / "903")
    uploaded = services.create_submission(
        local_authority=barnsley,
        user=lead,
        as_of=AS_OF,
        uploads=[open_upload(path) for path in tables],
    )
    upload = check_in_process(uploaded)
    assert (upload.status, upload.error_count) == (Submission.Status.READY, 0)
    assert snapshot.supplement(barnsley) == upload
    client.force_login(lead)
    assert (
        "you do not need to accept it"
        in client.get(reverse("submissions:detail", args=[upload.pk])).content.decode()
    )

    taken = snapshot.take_snapshot(barnsley, as_of=AS_OF)
    names = sorted(taken.files.values_list("display_name", flat=True))
    assert names == sorted(["api-snapshot-370-2026-03-31.json", *(p.name for p in tables)])
    checked = check_in_process(taken)

    assert checked.error_count == 0
    assert set(checked.formats) == {"dfe_csc_api_json", "ssda903_csv"}
    # The 903's episodes, once each: as many as the 903 upload alone read.
    assert checked.row_counts["cla_episode"] == upload.row_counts["cla_episode"]
    assert checked.row_counts["missing_episode"] == upload.row_counts["missing_episode"] > 0
    # Legal status comes with the 903, so its rules ran.
    assert not {r["code"] for r in checked.not_applicable_rules} & {"144", "358", "359"}
    event = AuditEvent.objects.get(action="upload", object_id=str(taken.pk))
    assert event.details["supplement"] == str(upload.pk)
