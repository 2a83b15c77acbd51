"""The demo data the README's run command loads: accounts for every role with authenticators,
and for every LA of Yorkshire and the Humber an accepted submission through the real pipeline
with its indicators stored (Wakefield's through the API intake), Barnsley's open submissions
and the data leads' context notes (idempotent)."""

from __future__ import annotations

from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count

from indicators.models import ContextNote, IndicatorValue
from portal.demo import DEMO_ACCOUNTS, DEMO_REGION
from portal.models import AuditEvent, LocalAuthority, Membership, Role, User
from submissions.models import ApiBatch, ApiChildRecord, Submission
from workers.demo import seed_demo_data

Status = Submission.Status
TODAY = date(2026, 11, 22)
YEAR_END = date(2026, 3, 31)


def _month_ends(start: date, end: date) -> int:
    """How many month ends fall in ``[start, end]``, ``end`` being one."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


@pytest.mark.django_db
def test_demo_accounts_cover_every_role(reference_data: None, settings: Any) -> None:
    settings.DEBUG = True  # the demo commands refuse to run in production
    call_command("seed_demo")
    printed = StringIO()
    call_command("seed_demo", stdout=printed)  # idempotent

    # What serve prints last, before the service starts: every account and how to sign in.
    for account in DEMO_ACCOUNTS:
        assert account.email in printed.getvalue()
    assert "manage.py demo_totp" in printed.getvalue()

    assert User.objects.count() == len(DEMO_ACCOUNTS)
    assert all(u.memberships.exists() for u in User.objects.all())
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role)
    case_lead = Membership.objects.filter(role=Role.DFE_CASE_LEAD)
    assert sorted(case_lead.values_list("local_authority__code", flat=True)) == [
        "370", "383", "384",
    ]  # fmt: skip
    risl = Membership.objects.get(role=Role.RISL)
    assert risl.region is not None
    assert risl.region.code == DEMO_REGION
    # Every LA of the region has a data lead who can send and accept its extracts.
    region_las = set(
        LocalAuthority.objects.current()
        .filter(region__code=DEMO_REGION)
        .values_list("code", flat=True)
    )
    assert len(region_las) == 15
    leads = Membership.objects.filter(role=Role.LA_DATA_LEAD)
    assert set(leads.values_list("local_authority__code", flat=True)) == region_las


@pytest.mark.django_db
def test_demo_data_for_the_whole_region(reference_data: None, settings: Any) -> None:
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    seed_demo_data(today=TODAY, children=1500)  # Barnsley and Leeds smaller, for the test
    counts = (
        Submission.objects.count(),
        IndicatorValue.objects.count(),
        ContextNote.objects.count(),
        ApiChildRecord.objects.count(),
        ApiBatch.objects.count(),
    )
    seed_demo_data(today=TODAY, children=1500)  # idempotent: nothing is added the second time
    assert (
        Submission.objects.count(),
        IndicatorValue.objects.count(),
        ContextNote.objects.count(),
        ApiChildRecord.objects.count(),
        ApiBatch.objects.count(),
    ) == counts

    # Every LA of the region: one accepted submission of ≥ 24 month ends, no errors, and
    # indicator values stored for its periods.
    accepted = Submission.objects.filter(status=Status.ACCEPTED).select_related("local_authority")
    assert {s.local_authority.region.code for s in accepted} == {DEMO_REGION}
    assert accepted.count() == 15
    for submission in accepted:
        assert submission.as_of == YEAR_END
        assert submission.error_count == 0
        assert submission.coverage_start is not None
        assert _month_ends(submission.coverage_start, submission.as_of) >= 24
        assert submission.indicators_computed_at is not None
        ok = submission.indicator_values.filter(status="ok", denominator__gt=0)
        periods = ok.values("period_end").distinct().count()
        assert periods >= 13, submission.local_authority  # every 12-month period to as_of
        assert ok.filter(period_end=YEAR_END).exists()

    # Wakefield's figures came through the API intake: batches applied, then its snapshot
    # (with its SSDA903 tables) accepted automatically, superseding the upload of those tables.
    wakefield = accepted.get(local_authority__code="384")
    assert wakefield.source == Submission.Source.API
    assert wakefield.accepted_by is None
    assert "dfe_csc_api_json" in wakefield.formats
    assert ApiBatch.objects.filter(local_authority__code="384").count() > 1
    assert ApiChildRecord.objects.filter(local_authority__code="384").count() > 100
    assert Submission.objects.filter(
        local_authority__code="384", status=Status.SUPERSEDED, superseded_by=wakefield
    ).exists()

    # Barnsley: one submission with errors to fix, one with queries only ready to accept.
    barnsley = Submission.objects.filter(local_authority__code="370")
    with_errors = barnsley.get(status=Status.HAS_ERRORS)
    assert with_errors.error_count > 0
    assert with_errors.findings.filter(severity="error").exists()
    ready = barnsley.get(status=Status.READY)
    assert ready.error_count == 0
    assert ready.query_count > 0
    assert ready.accepted_at is None

    # Context notes by the data leads, written through indicators.notes: audited, one revised.
    notes = list(ContextNote.objects.annotate(revision_count=Count("revisions")))
    revisions = [note.revision_count for note in notes]  # type: ignore[attr-defined]
    assert {note.local_authority.code for note in notes} == {"370", "383"}
    assert len(notes) >= 4
    assert 2 in revisions
    assert {note.created_by.email for note in notes} == {
        "lead@barnsley.example.org", "lead@leeds.example.org",
    }  # fmt: skip
    assert AuditEvent.objects.filter(action="note_written").count() == sum(revisions)
    dated = [note for note in notes if note.period_end is not None]
    assert dated
    for note in dated:
        assert IndicatorValue.objects.filter(
            local_authority=note.local_authority,
            indicator_id=note.indicator_id,
            period_end=note.period_end or date.min,
            submission__status=Status.ACCEPTED,
        ).exists()
