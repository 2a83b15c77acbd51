"""The demo data the README's run command loads: accounts with authenticators, and accepted
submissions with indicators, through the real pipeline (idempotent)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.management import call_command

from indicators.models import IndicatorValue
from portal.demo import DEMO_ACCOUNTS
from portal.models import User
from submissions.models import Submission
from workers.demo import seed_demo_submissions


@pytest.mark.django_db
def test_demo_accounts_and_submissions(reference_data: None, settings: Any) -> None:
    settings.DEBUG = True  # the demo commands refuse to run in production
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent

    assert User.objects.count() == len(DEMO_ACCOUNTS)
    assert all(u.memberships.exists() for u in User.objects.all())

    seed_demo_submissions(today=date(2026, 11, 22), children=300)
    seed_demo_submissions(today=date(2026, 11, 22), children=300)  # idempotent

    accepted = Submission.objects.filter(status=Submission.Status.ACCEPTED)
    assert sorted(accepted.values_list("local_authority__code", flat=True)) == ["370", "383"]
    assert all(s.as_of == date(2026, 3, 31) and s.error_count == 0 for s in accepted)
    latest = IndicatorValue.objects.filter(
        local_authority__code="370", indicator_id="rereferral_12m", period_end=date(2026, 3, 31)
    ).get()
    assert latest.status == "ok"
    assert (latest.denominator or 0) > 0
