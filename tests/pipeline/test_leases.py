"""Leases: a claimed check or indicator computation is held only while its worker renews the
lease; a lapsed lease is re-queued by the next reconciler run (not after 40 minutes), a live
one never. Indicator computation has its own attempts and a final failed state that the LA's
data leads are told about, and an LA's figures switch to a new submission in one transaction.
(The real-worker version, with SIGKILL, is test_kill_worker.py.)"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from indicators import services as indicator_services
from indicators.models import IndicatorBreakdown, IndicatorValue
from submissions import services
from submissions.extract import check
from submissions.models import Submission
from tests.pipeline.conftest import set_checked, upload_samples
from workers import tasks

Status = Submission.Status
pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued() -> Any:
    """The tasks the reconciler enqueues, captured instead of sent to the broker."""
    with (
        mock.patch.object(tasks.process_submission, "delay") as process,
        mock.patch.object(tasks.compute_indicators, "delay") as compute,
    ):
        yield {"process": process, "compute": compute}


def _lapse(submission: Submission, **extra: Any) -> None:
    Submission.objects.filter(pk=submission.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1), **extra
    )


def _accepted(lead: Any, la: Any) -> Submission:
    return services.accept(set_checked(upload_samples(lead, la), Status.READY), lead)


# --- checks ----------------------------------------------------------------------------------


def test_a_claim_is_a_lease_that_renewal_and_progress_extend(
    barnsley: Any, lead: Any, settings: Any
) -> None:
    settings.SUBMISSION_LEASE_SECONDS = 60
    before = timezone.now()
    claimed = services.claim(upload_samples(lead, barnsley).pk)
    assert claimed is not None
    assert claimed.lease_expires_at is not None
    assert before + timedelta(seconds=59) < claimed.lease_expires_at

    settings.SUBMISSION_LEASE_SECONDS = 600
    assert services.renew_lease(claimed)
    claimed.refresh_from_db()
    assert claimed.lease_expires_at > before + timedelta(seconds=590)

    Submission.objects.filter(pk=claimed.pk).update(attempts=2)  # claimed again since
    assert not services.renew_lease(claimed), "a stale worker cannot keep a lease"


def test_a_live_lease_is_never_taken_over_however_long_the_check_runs(
    barnsley: Any, lead: Any, enqueued: Any
) -> None:
    claimed = services.claim(upload_samples(lead, barnsley).pk)
    assert claimed is not None
    # A long check: its state has not changed for an hour, but its worker renews the lease.
    Submission.objects.filter(pk=claimed.pk).update(
        status=Status.VALIDATING, status_changed_at=timezone.now() - timedelta(hours=1)
    )

    assert services.claim(claimed.pk) is None, "a redelivered message does nothing"
    assert tasks.reconcile_submissions()["requeued"] == 0
    enqueued["process"].assert_not_called()


def test_a_lapsed_lease_is_requeued_by_the_next_reconciler_run(
    barnsley: Any, lead: Any, enqueued: Any
) -> None:
    claimed = services.claim(upload_samples(lead, barnsley).pk)
    assert claimed is not None
    _lapse(claimed)  # the worker was killed a lease ago; its state changed a moment ago

    assert tasks.reconcile_submissions()["requeued"] == 1
    assert tasks.reconcile_submissions()["requeued"] == 0, "re-queued once"

    enqueued["process"].assert_called_once_with(str(claimed.pk))
    claimed.refresh_from_db()
    assert (claimed.status, claimed.attempts, claimed.lease_expires_at) == (
        Status.RECEIVED,
        1,
        None,
    )
    again = services.claim(claimed.pk)
    assert again is not None
    assert again.attempts == 2
    with pytest.raises(services.ClaimLost):
        services.run_checks(claimed)  # the killed worker, were it to wake, writes nothing


def test_a_lapsed_lease_can_be_claimed_by_a_redelivered_message(barnsley: Any, lead: Any) -> None:
    claimed = services.claim(upload_samples(lead, barnsley).pk)
    assert claimed is not None
    _lapse(claimed)

    again = services.claim(claimed.pk)

    assert again is not None
    assert again.attempts == 2
    assert services.claim(claimed.pk) is None, "and only one delivery gets it"


@pytest.mark.django_db(transaction=True)
def test_the_task_renews_its_lease_while_it_runs(
    barnsley: Any, lead: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SUBMISSION_LEASE_SECONDS = 2  # renewed every 0.5 s
    submission = upload_samples(lead, barnsley)
    leases: list[Any] = []
    real_run_rules = check.run_rules

    def slow_rules(*args: Any, **kwargs: Any) -> Any:
        # One long step with no progress update: only the renewing thread keeps the lease.
        first = Submission.objects.get(pk=submission.pk).lease_expires_at
        time.sleep(3)
        leases.extend([first, Submission.objects.get(pk=submission.pk).lease_expires_at])
        return real_run_rules(*args, **kwargs)

    monkeypatch.setattr(check, "run_rules", slow_rules)

    assert tasks.process_submission(str(submission.pk)) == "checked"

    first, later = leases
    assert later > first + timedelta(seconds=2), "renewed during the step"
    assert later > timezone.now() - timedelta(seconds=2)
    submission.refresh_from_db()
    assert (submission.attempts, submission.lease_expires_at) == (1, None)


# --- indicators ------------------------------------------------------------------------------


def test_an_indicator_computation_is_claimed_once_and_counts_its_attempts(
    barnsley: Any, lead: Any
) -> None:
    submission = _accepted(lead, barnsley)

    claimed = indicator_services.claim_indicators(submission.pk)

    assert claimed is not None
    assert claimed.indicators_attempts == 1
    assert claimed.indicators_lease_expires_at is not None
    assert indicator_services.claim_indicators(submission.pk) is None, "held by a live worker"
    assert tasks.compute_indicators(str(submission.pk)) == "skipped"
    _lapse(claimed)
    Submission.objects.filter(pk=claimed.pk).update(
        indicators_lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    again = indicator_services.claim_indicators(submission.pk)
    assert again is not None
    assert again.indicators_attempts == 2
    with pytest.raises(indicator_services.IndicatorClaimLost):
        indicator_services.store_indicators(claimed)  # the stale worker writes nothing
    assert not IndicatorValue.objects.exists()
    assert indicator_services.store_indicators(again)
    assert IndicatorValue.objects.filter(submission=submission).exists()


def test_a_killed_computation_is_requeued_and_out_of_attempts_it_fails_and_leads_are_told(
    barnsley: Any,
    personas: dict[str, Any],
    enqueued: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.SERVICE_BASE_URL = "https://csc-data.example.org"
    submission = _accepted(personas["lead"], barnsley)
    for attempt in range(1, settings.INDICATORS_MAX_ATTEMPTS + 1):
        claimed = indicator_services.claim_indicators(submission.pk)
        assert claimed is not None
        assert claimed.indicators_attempts == attempt
        Submission.objects.filter(pk=submission.pk).update(  # the worker is killed
            indicators_lease_expires_at=timezone.now() - timedelta(seconds=1)
        )
        if attempt < settings.INDICATORS_MAX_ATTEMPTS:
            assert tasks.reconcile_submissions()["indicators"] == 1
    assert enqueued["compute"].call_count == settings.INDICATORS_MAX_ATTEMPTS - 1

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.reconcile_submissions()["indicators_failed"] == 1

    submission.refresh_from_db()
    assert submission.indicators_failed_at is not None
    assert submission.indicators_failure_reason.startswith(
        "We could not work out the figures of this submission after 3 attempts"
    )
    assert submission.indicators_computed_at is None
    [email] = mail.outbox
    # Barnsley's data leads (one has not set up an authenticator yet); not Leeds', no viewer.
    assert email.to == sorted([personas["lead"].email, personas["no_mfa"].email])
    assert "figures could not be worked out" in email.subject
    assert f"https://csc-data.example.org/submissions/{submission.pk}/" in email.body
    # Final: never re-queued again, never claimed again.
    assert tasks.reconcile_submissions() == {
        "requeued": 0, "failed": 0, "indicators": 0, "indicators_failed": 0,
    }  # fmt: skip
    assert indicator_services.claim_indicators(submission.pk) is None
    assert len(mail.outbox) == 1


def test_a_fault_that_would_recur_fails_the_computation_at_once(
    barnsley: Any,
    lead: Any,
    enqueued: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    submission = _accepted(lead, barnsley)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("a bug")

    monkeypatch.setattr(indicator_services, "compute_all", broken)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.compute_indicators(str(submission.pk)) == "failed"

    submission.refresh_from_db()
    assert submission.indicators_failed_at is not None
    assert submission.indicators_failure_reason == indicator_services.INDICATORS_FAULT
    [email] = mail.outbox
    assert lead.email in email.to
    Submission.objects.filter(pk=submission.pk).update(
        accepted_at=timezone.now() - timedelta(days=1)
    )
    tasks.reconcile_submissions()
    enqueued["compute"].assert_not_called()  # today's bug: re-queued every 5 minutes forever


def test_a_transient_fault_releases_the_computation_for_the_retry(
    barnsley: Any, lead: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    submission = _accepted(lead, barnsley)

    def flaky(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(indicator_services, "compute_all", flaky)
    with pytest.raises(OperationalError):
        tasks.compute_indicators(str(submission.pk))

    submission.refresh_from_db()
    assert (submission.indicators_attempts, submission.indicators_lease_expires_at) == (1, None)
    monkeypatch.undo()
    assert tasks.compute_indicators(str(submission.pk)) == "computed"
    submission.refresh_from_db()
    assert submission.indicators_attempts == 2
    assert submission.indicators_failed_at is None


# --- which submission the figures come from --------------------------------------------------


def test_the_figures_switch_to_the_new_submission_only_once_its_values_are_stored(
    barnsley: Any, lead: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert services.figures_source(barnsley).source is None
    older = _accepted(lead, barnsley)
    assert indicator_services.compute_and_store_indicators(older)
    older_values = sorted(IndicatorValue.objects.values_list("indicator_id", "period_end"))
    newer = _accepted(lead, barnsley)

    figures = services.figures_source(barnsley)
    assert (figures.source, figures.waiting_for, figures.pending) == (older, newer, True)

    # The worker dies half way through storing (the breakdowns fail after the values were
    # replaced): the transaction is rolled back, and the old figures are all still there.
    def dies(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("terminating connection")

    with (
        mock.patch.object(IndicatorBreakdown.objects, "bulk_create", side_effect=dies),
        pytest.raises(OperationalError),
    ):
        indicator_services.compute_and_store_indicators(newer)
    assert set(IndicatorValue.objects.values_list("submission", flat=True)) == {older.pk}
    assert sorted(IndicatorValue.objects.values_list("indicator_id", "period_end")) == (
        older_values
    )
    assert services.figures_source(barnsley).source == older

    Submission.objects.filter(pk=newer.pk).update(indicators_lease_expires_at=None)
    assert indicator_services.compute_and_store_indicators(newer)
    figures = services.figures_source(barnsley)
    assert (figures.source, figures.waiting_for) == (newer, None)
    assert set(IndicatorValue.objects.values_list("submission", flat=True)) == {newer.pk}
    assert set(IndicatorBreakdown.objects.values_list("submission", flat=True)) == {newer.pk}


def test_the_pages_say_which_submission_the_figures_come_from(
    client: Any, barnsley: Any, lead: Any, personas: dict[str, Any]
) -> None:
    older = _accepted(lead, barnsley)
    indicator_services.compute_and_store_indicators(older)
    newer = _accepted(lead, barnsley)
    client.force_login(personas["viewer"])
    viewer = client

    page = viewer.get(reverse("submissions:detail", args=[newer.pk])).content.decode()
    assert (
        "The figures of Barnsley's accepted extract of 31 March 2024 are being worked out" in page
    )
    assert "Barnsley's figures come from the extract of 31 March 2024" in page
    history = viewer.get(reverse("submissions:history")).content.decode()
    assert 'data-figures-notice="370"' in history
    assert "are being worked out" in history

    Submission.objects.filter(pk=newer.pk).update(
        indicators_failed_at=timezone.now(), indicators_failure_reason="It went wrong."
    )
    page = viewer.get(reverse("submissions:detail", args=[newer.pk])).content.decode()
    assert "could not be worked out. It went wrong." in page
    assert "We have emailed Barnsley's data leads" in page

    Submission.objects.filter(pk=newer.pk).update(indicators_failed_at=None)
    indicator_services.compute_and_store_indicators(newer)
    page = viewer.get(reverse("submissions:detail", args=[newer.pk])).content.decode()
    assert "Barnsley's figures come from this submission" in page
    assert "being worked out" not in viewer.get(reverse("submissions:history")).content.decode()
    old_page = viewer.get(reverse("submissions:detail", args=[older.pk])).content.decode()
    assert "not this one" in old_page


def test_the_system_check_warns_when_a_killed_job_could_wait_over_two_minutes(
    settings: Any,
) -> None:
    from portal.checks import killed_jobs_resume_in_time

    assert killed_jobs_resume_in_time() == []  # the defaults: 60 s lease + 30 s reconciler
    settings.SUBMISSION_LEASE_SECONDS = 110
    assert [m.id for m in killed_jobs_resume_in_time()] == ["portal.W001"]
    settings.SUBMISSION_RECONCILE_SECONDS = 0
    assert [m.id for m in killed_jobs_resume_in_time()] == ["portal.E005"]
