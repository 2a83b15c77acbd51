"""A real worker process, on the configured broker (filesystem by default, Redis when
REDIS_URL is set), checks an uploaded submission and computes indicators once accepted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from indicators import services as indicator_services
from indicators.models import IndicatorBreakdown, IndicatorValue
from submissions import services
from submissions.extract.check import check_files
from submissions.models import Submission
from tests.conftest import process_log, wait_for
from tests.pipeline.conftest import AS_OF, copy_samples, set_checked, upload_samples
from workers.tasks import compute_indicators, process_submission

Status = Submission.Status
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def finished(pk: Any) -> Submission | None:
    submission = Submission.objects.get(pk=pk)
    return None if submission.is_working else submission


def test_a_worker_checks_the_sample_cin_census_and_903_files(
    celery_worker_process: Any, barnsley: Any, lead: Any, tmp_path: Path
) -> None:
    worker = celery_worker_process()
    submission = upload_samples(lead, barnsley)

    process_submission.delay(str(submission.pk))
    checked = wait_for(lambda: finished(submission.pk), timeout=120)

    assert checked.status == Status.HAS_ERRORS
    assert checked.attempts == 1
    paths = copy_samples(tmp_path / "plain")
    expected = check_files([(p.name, p) for p in paths], la_code="370", as_of=AS_OF).findings
    stored = checked.findings.all()
    assert stored.count() == len(expected) == checked.error_count + checked.query_count
    assert sorted(stored.values_list("code", "file", "location")) == sorted(
        (f.code, f.file, f.location) for f in expected
    )
    assert worker.poll() is None, "the worker is still running"


def test_a_worker_computes_indicators_once_however_often_it_is_asked(
    celery_worker_process: Any, barnsley: Any, lead: Any
) -> None:
    worker = celery_worker_process()
    submission = services.accept(set_checked(upload_samples(lead, barnsley), Status.READY), lead)

    # Two deliveries of the same task (a redelivery, or the reconciler racing the first): the
    # worker's log shows when it has run both.
    compute_indicators.delay(str(submission.pk))
    compute_indicators.delay(str(submission.pk))

    def both_run() -> list[str] | None:
        found = re.findall(r"compute_indicators\[[^]]+\] succeeded in [^:]+: '(\w+)'",
                           process_log(worker))  # fmt: skip
        return found if len(found) == 2 else None

    outcomes = wait_for(both_run, timeout=120)
    assert sorted(outcomes) == ["computed", "skipped"]

    submission.refresh_from_db()
    assert submission.indicators_computed_at is not None
    values = list(IndicatorValue.objects.values_list("indicator_id", "period_end", "value"))
    breakdowns = IndicatorBreakdown.objects.count()
    assert values
    assert len(values) == len(set(values))
    assert submission.indicators_attempts == 1, "the second delivery found it done"
    # A clean computation here gives exactly the rows the worker stored.
    value_rows, breakdown_rows = indicator_services.indicator_rows(submission)
    assert sorted(values) == sorted((r.indicator_id, r.period_end, r.value) for r in value_rows)
    assert breakdowns == len(breakdown_rows)
