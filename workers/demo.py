"""Demo data for the embedded default (``manage.py seed_demo_submissions``). Never used in
production.

Every LA of Yorkshire and the Humber (``portal.demo.DEMO_REGION``, 15 LAs) gets a clean
synthetic extract of the three collection years to the latest 31 March that goes through the
real pipeline, in this process: stored encrypted, read, validated, accepted by the LA's demo
data lead, indicators computed. So the portfolio, every LA's dashboard and the indicator pages
have figures as soon as the web server starts, with no job queued through the file broker.

* Barnsley and Leeds are sized by their real 0-17 population and send CIN census XML with
  SSDA903 CSVs; they are the LAs people look at closely.
* The other 13 are small (a few hundred children: seeding stays quick on two cores). Twelve
  upload CIN census XML with SSDA903 CSVs too (``REGION_SUBMISSIONS``). Wakefield's figures
  come through the API intake (``seed_api_feed``): its records applied in batches by the
  endpoint's own service, as if its sender had posted them (no HTTP: no token to mint), then a
  snapshot accepted automatically, as its feed says.
* Barnsley has sent its extract again, twice, for its data lead to deal with: once with
  errors to fix, once checked with queries only and ready to accept (``seed_open_submissions``).
* Barnsley's and Leeds' data leads have written context notes on their indicators, one of
  them revised (``seed_context_notes``), through ``indicators.notes`` so they are audited.

Every step is idempotent: what exists already is kept, so ``serve`` can run again.

It lives with the workers, not in ``submissions``: it drives the whole pipeline (submissions'
services and the indicators after acceptance) with the synthetic generator, which the
submissions app itself never imports. The demo accounts it needs are ``portal.demo``'s.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File

from indicators import notes
from indicators.models import ContextNote
from indicators.services import compute_and_store_indicators
from portal import api_clients
from portal.demo import REGION_LEAD
from portal.models import LocalAuthority, User
from submissions import services
from submissions.api import services as api_services
from submissions.api import snapshot
from submissions.api.schemas import PAYLOAD
from submissions.models import Submission
from submissions.synthetic.model import generate
from submissions.synthetic.writers import write_extract

__all__ = ["DemoSubmission", "seed_demo_data", "seed_demo_submissions"]

Status = Submission.Status


@dataclass(frozen=True)
class DemoSubmission:
    la_code: str
    data_lead: str
    seed: int
    #: The generator's format names (``generate_extracts --formats``).
    formats: tuple[str, ...] = ("cin", "903")
    #: About how many children the extract holds; None: sized by the LA's 0-17 population.
    children: int | None = None


DEMO_SUBMISSIONS = [
    DemoSubmission("370", "lead@barnsley.example.org", seed=370),
    DemoSubmission("383", "lead@leeds.example.org", seed=383),
]

#: Small LAs, so that 13 extracts check in seconds. They send CIN census XML and SSDA903 CSVs
#: (Annex A and SSDA903 XML are not used: over three years, the checks find errors in the
#: generator's Annex A (census-year date rules) and in its 903 XML beside a census (rule 105)).
SMALL = 400
REGION_SUBMISSIONS = [
    DemoSubmission(code, REGION_LEAD, seed=int(code), children=SMALL)
    for code in ("371", "372", "373", "380", "381", "382", "810", "811", "812", "813", "815",
                 "816")
]  # fmt: skip
#: Wakefield posts its children's records to the API and uploads its SSDA903 tables, which
#: its snapshots include (the API payload has no legal status or missing episodes).
#: (Seed 4: with seed 384 the generator writes a missing episode before a period of care starts,
#: rule 581.)
API_FED = DemoSubmission("384", REGION_LEAD, seed=4, formats=("api", "903"), children=SMALL)

_DATA_LEADS = {demo.la_code: demo.data_lead for demo in DEMO_SUBMISSIONS}

#: The context notes the LAs' data leads wrote: (LA, indicator, period end or None for all
#: periods, text, and a revision of it or "").
NOTES = [
    ("370", "rereferral_12m", None,
     "We moved to a single front door in April 2024. Contacts that would once have been "
     "referrals are now resolved as early help, so fewer referrals come back within a year.",
     ""),
    ("370", "cpp_rate", "last",
     "Two large sibling groups became subject to plans this month: the rate rose by about 4 "
     "per 10,000 because of them alone.",
     "Two large sibling groups (nine children) became subject to plans this month: the rate "
     "rose by about 4 per 10,000 because of them alone."),
    ("370", "cla_missing_pct", None,
     "Our missing episodes now include those from return home interviews logged by our "
     "commissioned service (since September 2024).",
     ""),
    ("383", "nfa_at_assessment", None,
     "Leeds records a child and family assessment for every referral that passes the front "
     "door, including those closed with advice only, so our NFA rate is higher than most.",
     ""),
    ("383", "missing_at_period_end", "last",
     "Three of the children missing at the end of this period were found within a day.",
     ""),
]  # fmt: skip


def _latest_year_end(today: date) -> date:
    """The latest 31 March on or before ``today``: the census date of the last whole year."""
    year_end = date(today.year, 3, 31)
    return year_end if year_end <= today else year_end.replace(year=today.year - 1)


def _three_years_to(as_of: date) -> date:
    """The first day of the three collection years ending ``as_of``, a 31 March."""
    return as_of.replace(year=as_of.year - 3) + timedelta(days=1)


def _size(la: LocalAuthority, demo: DemoSubmission, children: int | None) -> dict[str, int | None]:
    wanted = children or demo.children
    if wanted:
        return {"children": wanted}
    population = la.populations.order_by("-year").values_list("population_0_17", flat=True)
    return {"population": population.first()}


def _upload(
    demo: DemoSubmission,
    la: LocalAuthority,
    as_of: date,
    *,
    children: int | None = None,
    clean: bool = True,
    formats: Sequence[str] | None = None,
) -> Submission:
    """Generate ``demo``'s extract to ``as_of``, upload it as its data lead and check it
    (READY or HAS_ERRORS), as a worker would."""
    start = _three_years_to(as_of)
    lead = User.objects.get(email=demo.data_lead)
    extract = generate(
        demo.la_code, start, as_of, seed=demo.seed, clean=clean, **_size(la, demo, children)
    )
    with tempfile.TemporaryDirectory(prefix="csc-demo-") as folder:
        written = write_extract(extract, Path(folder), formats or demo.formats)
        paths = [p for group in written.values() for p in group]
        with ExitStack() as stack:
            uploads = [File(stack.enter_context(p.open("rb")), name=p.name) for p in paths]
            submission = services.create_submission(
                local_authority=la, user=lead, as_of=as_of, coverage_start=start, uploads=uploads
            )
    claimed = services.claim(submission.pk)
    assert claimed is not None, "a new submission is always claimable"
    return services.run_checks(claimed)


def _accepted(la: LocalAuthority) -> Submission | None:
    """The LA's accepted submission, its figures computed now if a first run stopped half way
    (a computation done or given up on is not claimed again)."""
    existing = Submission.objects.filter(local_authority=la, status=Status.ACCEPTED).first()
    if existing is not None:
        compute_and_store_indicators(existing)
    return existing


def _seed_uploads(
    demos: Sequence[DemoSubmission], as_of: date, children: int | None
) -> list[Submission]:
    done = []
    for demo in demos:
        la = LocalAuthority.objects.get(code=demo.la_code)
        existing = _accepted(la)
        if existing is not None:
            done.append(existing)
            continue
        checked = _upload(demo, la, as_of, children=children)
        accepted = services.accept(checked, User.objects.get(email=demo.data_lead))
        compute_and_store_indicators(accepted)
        done.append(accepted)
    return done


def seed_demo_submissions(
    today: date | None = None, children: int | None = None
) -> list[Submission]:
    """Create and accept one submission for Barnsley and for Leeds unless they have an
    accepted one (idempotent). Needs the reference data and their data leads' accounts. Each
    LA's size follows its real 0-17 population unless ``children`` is given (tests use a small
    number)."""
    return _seed_uploads(DEMO_SUBMISSIONS, _latest_year_end(today or date.today()), children)


def seed_region_submissions(today: date | None = None) -> list[Submission]:
    """The same for the region's other LAs but Wakefield (``seed_api_feed``), each small."""
    return _seed_uploads(REGION_SUBMISSIONS, _latest_year_end(today or date.today()), None)


def seed_api_feed(today: date | None = None) -> Submission:
    """Wakefield's figures through the API intake: its SSDA903 tables uploaded and accepted,
    an API client, its generated payload applied in batches as the endpoint applies them (each
    batch validated against the payload schema; a batch applied before is a replay and changes
    nothing), then a snapshot checked and accepted automatically (its feed says so), which
    supersedes the upload. Idempotent: an accepted snapshot is kept."""
    demo = API_FED
    la = LocalAuthority.objects.get(code=demo.la_code)
    existing = Submission.objects.filter(
        local_authority=la, status=Status.ACCEPTED, source=Submission.Source.API
    ).first()
    if existing is not None:
        compute_and_store_indicators(existing)
        return existing
    as_of = _latest_year_end(today or date.today())
    lead = User.objects.get(email=demo.data_lead)
    uploads = Submission.objects.filter(local_authority=la, source=Submission.Source.UPLOAD)
    if not uploads.filter(as_of=as_of).exists():
        tables = _upload(demo, la, as_of, formats=["903"])
        if tables.status == Status.READY:
            services.accept(tables, lead)
    client = la.api_clients.filter(revoked_at__isnull=True).first()
    if client is None:
        client = api_clients.create(la, lead).account
    extract = generate(
        demo.la_code, _three_years_to(as_of), as_of, seed=demo.seed, clean=True,
        **_size(la, demo, None),
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="csc-demo-") as folder:
        (payload_path,) = write_extract(extract, Path(folder), ["api"])["api"]
        records = json.loads(payload_path.read_text(encoding="utf-8"))
    batch_size = settings.API_MAX_RECORDS
    for first in range(0, len(records), batch_size):
        batch = records[first : first + batch_size]
        PAYLOAD.validate_python(batch)
        body = json.dumps(batch, separators=(",", ":")).encode()
        api_services.apply_batch(la, client, hashlib.sha256(body).hexdigest(), batch)
    feed = snapshot.feed_for(la)
    if not feed.auto_accept:
        feed.auto_accept = True
        feed.updated_by = lead
        feed.save(update_fields=["auto_accept", "updated_by"])
    taken = snapshot.take_snapshot(la, as_of=as_of)
    claimed = services.claim(taken.pk)
    assert claimed is not None, "a new snapshot is always claimable"
    accepted = services.accept_automatically(services.run_checks(claimed))
    compute_and_store_indicators(accepted)
    return accepted


def seed_open_submissions(
    today: date | None = None, children: int | None = None
) -> list[Submission]:
    """Barnsley's extract to the same 31 March sent again, twice: first with errors (left to
    fix), then corrected, checked with queries only and ready to accept (not accepted). The
    accepted submission stays the LA's figures until its data lead accepts the new one.

    The same date, because the checks apply the census-year rules to the census dates: an
    extract to another month end finds errors in any generated extract. The resent one is
    another seed, so accepting it changes the figures a little, as a correction would.
    Idempotent: made unless Barnsley has a submission with errors to that date, and a second
    one without errors, already."""
    demo = DEMO_SUBMISSIONS[0]
    la = LocalAuthority.objects.get(code=demo.la_code)
    as_of = _latest_year_end(today or date.today())
    to_date = Submission.objects.filter(local_authority=la, as_of=as_of)
    made = []
    if not to_date.filter(status=Status.HAS_ERRORS).exists():
        made.append(_upload(demo, la, as_of, children=children, clean=False))
    if to_date.filter(error_count=0).exclude(status=Status.FAILED).count() < 2:
        resent = DemoSubmission(demo.la_code, demo.data_lead, seed=demo.seed + 1)
        made.append(_upload(resent, la, as_of, children=children))
    return made


def seed_context_notes() -> list[ContextNote]:
    """``NOTES``, written (and revised) by the LAs' data leads through ``indicators.notes``,
    so each write is audited as a person's would be. A note already on the same indicator and
    period is kept. A note for the "last" period is on the accepted submission's latest month
    end with figures."""
    written = []
    for la_code, indicator_id, period, text, revision in NOTES:
        la = LocalAuthority.objects.get(code=la_code)
        period_end = None
        if period == "last":
            accepted = Submission.objects.get(local_authority=la, status=Status.ACCEPTED)
            latest = accepted.indicator_values.filter(indicator_id=indicator_id, status="ok")
            period_end = latest.order_by("-period_end").values_list("period_end", flat=True)[0]
        existing = ContextNote.objects.filter(
            local_authority=la, indicator_id=indicator_id, period_end=period_end
        ).first()
        if existing is not None:
            written.append(existing)
            continue
        lead = User.objects.get(email=_DATA_LEADS[la_code])
        note = notes.write_note(lead, la, indicator_id, period_end, text)
        if revision:
            notes.revise_note(lead, note, revision, based_on=1)
        written.append(note)
    return written


def seed_demo_data(today: date | None = None, children: int | None = None) -> list[Submission]:
    """Everything above, in order; the LAs' accepted submissions and Barnsley's open ones.
    ``children`` sizes Barnsley's and Leeds' extracts (default: by population) for tests."""
    accepted = seed_demo_submissions(today, children)
    accepted += seed_region_submissions(today)
    accepted.append(seed_api_feed(today))
    opened = seed_open_submissions(today, children)
    seed_context_notes()
    return accepted + opened
