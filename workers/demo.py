"""Demo submissions for the embedded default (``manage.py seed_demo_submissions``).

Each demo LA gets a clean synthetic extract (CIN census XML and SSDA903 CSVs for the three
collection years to the latest 31 March; a census is yearly) that goes through the real
pipeline — stored encrypted, read, validated, accepted by the LA's demo data lead, indicators
computed — so the dashboards and reports have something to show. Never used in production.

It lives with the workers, not in ``submissions``: it drives the whole pipeline (submissions'
services and the indicators after acceptance) with the synthetic generator, which the
submissions app itself never imports. The demo accounts it needs are ``portal.demo``'s.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.core.files import File

from indicators.services import compute_and_store_indicators
from portal.models import LocalAuthority, User
from submissions import services
from submissions.models import Submission
from submissions.synthetic.model import generate
from submissions.synthetic.writers import write_extract

__all__ = ["DemoSubmission", "seed_demo_submissions"]


@dataclass(frozen=True)
class DemoSubmission:
    la_code: str
    data_lead: str
    seed: int


DEMO_SUBMISSIONS = [
    DemoSubmission("370", "lead@barnsley.example.org", seed=370),
    DemoSubmission("383", "lead@leeds.example.org", seed=383),
]


def _latest_year_end(today: date) -> date:
    """The latest 31 March on or before ``today``: the census date of the last whole year."""
    year_end = date(today.year, 3, 31)
    return year_end if year_end <= today else year_end.replace(year=today.year - 1)


def seed_demo_submissions(
    today: date | None = None, children: int | None = None
) -> list[Submission]:
    """Create and accept one submission per demo LA that has no accepted one yet
    (idempotent). Needs the reference data and the demo accounts. The LA's size follows its
    real 0-17 population unless ``children`` is given (tests use a small number)."""
    as_of = _latest_year_end(today or date.today())
    start = as_of.replace(year=as_of.year - 3) + timedelta(days=1)  # three collection years
    done = []
    for demo in DEMO_SUBMISSIONS:
        la = LocalAuthority.objects.get(code=demo.la_code)
        existing = Submission.objects.filter(local_authority=la, status=Submission.Status.ACCEPTED)
        if existing.exists():
            # Figures not computed yet (a first run stopped half way) are computed now; a
            # computation done or given up on is not claimed again.
            compute_and_store_indicators(existing.get())
            done.append(existing.get())
            continue
        lead = User.objects.get(email=demo.data_lead)
        population = la.populations.order_by("-year").values_list("population_0_17", flat=True)
        size: dict[str, int | None] = (
            {"children": children} if children else {"population": population.first()}
        )
        extract = generate(demo.la_code, start, as_of, seed=demo.seed, clean=True, **size)
        with tempfile.TemporaryDirectory(prefix="csc-demo-") as folder:
            written = write_extract(extract, Path(folder), ["cin", "903"])
            paths = [p for group in written.values() for p in group]
            handles = [p.open("rb") for p in paths]
            try:
                uploads = [File(h, name=p.name) for h, p in zip(handles, paths, strict=True)]
                submission = services.create_submission(
                    local_authority=la, user=lead, as_of=as_of, coverage_start=start,
                    uploads=uploads,
                )  # fmt: skip
            finally:
                for handle in handles:
                    handle.close()
        claimed = services.claim(submission.pk)
        assert claimed is not None, "a new submission is always claimable"
        checked = services.run_checks(claimed)
        accepted = services.accept(checked, lead)
        compute_and_store_indicators(accepted)
        done.append(accepted)
    return done
