"""Synthetic timely figures for every LA at once (``manage.py seed_national_figures``).

What the restricted dashboards look like, and how fast they are, with every LA sending data:
153 LAs x 36 month ends x every registry indicator, with breakdowns. The real pipeline is far
too slow to build that (an extract per LA, checked and computed), and the figures themselves
are all a dashboard reads, so this writes them directly: ``IndicatorValue`` and
``IndicatorBreakdown`` rows, in bulk, with plausible numbers from a seeded random generator
(the same figures for the same ``seed``, LA and dates).

**Clearly synthetic.** Each seeded LA gets one ACCEPTED ``Submission`` created and accepted by
the inactive account ``SEED_EMAIL`` ("Synthetic national seed: not real data"), with
``progress_message`` ``SEED_LABEL``; ``synthetic_submissions()`` finds them. There is no extract
behind them (nothing to drill down into or download). Running it again deletes every seeded
submission (and, by cascade, its figures) and seeds afresh. An LA whose accepted submission is
a real one (the demo's Barnsley and Leeds) is left alone.

The figures look like real ones where the pages care: rolling 12-month counts that move
smoothly month to month, the LA's real 0-17 population as the rates' denominator, percentages
whose numerator never exceeds the denominator, breakdowns whose groups add up to the figure,
small counts (1 to 4) in small LAs and small groups so suppression shows, ``insufficient_
history`` at the start of the indicators that need a look-back, ``no_data`` for the missing-
children indicators of LAs that sent a format without missing episodes (the DfE API payload),
and ``no_population`` where the reference data has no estimate.
"""

from __future__ import annotations

import datetime
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from indicators.calculators import DIMENSIONS
from indicators.models import IndicatorBreakdown, IndicatorValue
from indicators.registry import REGISTRY, Indicator, Kind, Status, Unit
from portal.models import LocalAuthority, Population, User
from submissions.extract.canonical import Format
from submissions.models import Submission

__all__ = [
    "MONTHS",
    "SEED_EMAIL",
    "SEED_LABEL",
    "SeedResult",
    "seed_national_figures",
    "synthetic_submissions",
]

SEED_EMAIL = "synthetic-national-seed@example.invalid"
SEED_LABEL = "Synthetic figures (manage.py seed_national_figures): not real data"
#: Month ends per LA, the latest being the submissions' extract date.
MONTHS = 36
_BATCH = 5_000
VALUE_COLUMNS = (
    "local_authority_id", "submission_id", "indicator_id", "period_start", "period_end",
    "numerator", "denominator", "value", "status", "note",
)  # fmt: skip
BREAKDOWN_COLUMNS = (
    "local_authority_id", "submission_id", "indicator_id", "period_end", "dimension",
    "category", "numerator", "denominator", "value", "status",
)  # fmt: skip

Ints = npt.NDArray[np.int64]

# The formats an LA "sent": most send the CIN census and the SSDA903 return; some the DfE API
# payload, which carries no missing episodes (so the missing-children indicators are no_data).
_FORMAT_MIXES: tuple[tuple[float, tuple[Format, ...]], ...] = (
    (0.10, (Format.DFE_API_JSON,)),
    (0.15, (Format.CIN_XML, Format.SSDA903_XML)),
    (1.00, (Format.CIN_XML, Format.SSDA903_CSV)),
)


@dataclass(frozen=True)
class _Profile:
    """How an indicator's England-typical figures are drawn.

    ``per_10k``: events per 10,000 children a month (``flow``: the period's figure is the sum
    of 12 months) or the number open at the period end (a stock); for rates, the count.
    ``share``: the numerator's share of the denominator (ratio: numerator per denominator).
    ``base``: the denominator is another indicator's numerator (e.g. the children who went
    missing, for missing episodes per child).
    """

    per_10k: float
    share: float
    flow: bool = False
    base: str | None = None


# Roughly the published England figures (indicators.md, the DfE's 2025 statistics).
_PROFILES: dict[str, _Profile] = {
    "rereferral_12m": _Profile(45.0, 0.226, flow=True),
    "nfa_at_assessment": _Profile(42.0, 0.28, flow=True),
    "nfa_reassessed_6m": _Profile(12.0, 0.09, flow=True),
    "nfa_reassessed_12m": _Profile(12.0, 0.15, flow=True),
    "cin_rate": _Profile(330.0, 1.0),
    "cla_rate": _Profile(67.0, 1.0),
    "repeat_cpp_12m": _Profile(5.0, 0.06, flow=True),
    "repeat_cpp_ever": _Profile(5.0, 0.245, flow=True),
    "cpp_rate": _Profile(42.0, 1.0),
    "cpp_open_2yrs": _Profile(0.0, 0.023, base="cpp_rate"),
    "cla_missing_pct": _Profile(90.0, 0.11),
    "cla_away_pct": _Profile(90.0, 0.03),
    "missing_episodes_per_child": _Profile(0.0, 6.5, base="cla_missing_pct"),
    "missing_at_period_end": _Profile(0.9, 1.0),
}
#: For an indicator added to the registry after this module: by unit.
_DEFAULT_PROFILES = {
    Unit.PERCENT: _Profile(20.0, 0.2, flow=True),
    Unit.RATIO: _Profile(10.0, 2.0),
    Unit.COUNT: _Profile(5.0, 1.0),
    Unit.RATE_PER_10K: _Profile(50.0, 1.0),
}
#: Typical shares of each breakdown group (``calculators.DIMENSIONS`` order).
_SHARES: dict[str, tuple[float, ...]] = {
    "age_band": (0.09, 0.21, 0.23, 0.32, 0.14, 0.01),
    "sex": (0.52, 0.47, 0.01),
    "ethnicity": (0.72, 0.09, 0.08, 0.07, 0.03, 0.01),
    "disability": (0.10, 0.85, 0.05),
}
# Value scale per unit, as the calculators compute it (indicators.md "Output"):
# value = round_half_up(numerator x scale / denominator) / 10.
_SCALE = {Unit.PERCENT: 1_000, Unit.RATIO: 10, Unit.RATE_PER_10K: 100_000}


@dataclass(frozen=True)
class SeedResult:
    """What a run wrote, and the LAs it left alone (their accepted submission is real)."""

    local_authorities: int
    values: int
    breakdowns: int
    skipped: tuple[str, ...]
    as_of: datetime.date


def synthetic_submissions() -> QuerySet[Submission]:
    """Every submission this module created (and only those)."""
    return Submission.objects.filter(created_by__email=SEED_EMAIL)


def _seed_user() -> User:
    """The account the synthetic submissions are created and accepted by: inactive, no roles,
    no password, so it can never sign in."""
    user, created = User.objects.get_or_create(
        email=SEED_EMAIL,
        defaults={"full_name": "Synthetic national seed: not real data", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _latest_year_end(today: datetime.date) -> datetime.date:
    year_end = datetime.date(today.year, 3, 31)
    return year_end if year_end <= today else year_end.replace(year=today.year - 1)


def _month_start(year: int, month: int) -> datetime.date:
    """The first day of a month given as a year and a 1-based month that may be out of range
    (``_month_start(2025, -1)`` is 1 November 2024)."""
    return datetime.date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _month_end(year: int, month: int) -> datetime.date:
    """The last day of a month given as for ``_month_start``."""
    return _month_start(year, month + 1) - datetime.timedelta(days=1)


@dataclass(frozen=True)
class _Periods:
    """The month ends ``ends`` (oldest first) and the first day of each 12-month period."""

    ends: tuple[datetime.date, ...]
    starts: tuple[datetime.date, ...]

    @staticmethod
    def ending(as_of: datetime.date) -> _Periods:
        ends = tuple(_month_end(as_of.year, as_of.month - MONTHS + 1 + i) for i in range(MONTHS))
        starts = tuple(_month_start(end.year, end.month - 11) for end in ends)
        return _Periods(ends, starts)


def _rng(seed: int, code: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(code.encode())])


def _walk(rng: np.random.Generator, size: int, step: float = 0.015) -> npt.NDArray[np.float64]:
    """A gentle multiplicative random walk around 1, for figures that drift month to month."""
    steps = rng.normal(0.0, step, size)
    walk = np.exp(np.cumsum(steps))
    return walk / walk.mean()


def _values(unit: Unit, numerator: Ints, denominator: Ints) -> list[Decimal | None]:
    """Each value, rounded half up to 1 decimal place with integer arithmetic (None for a zero
    denominator), exactly as ``indicators.calculators`` computes it."""
    if unit is Unit.COUNT:
        return [Decimal(int(n)) for n in numerator]
    scale = _SCALE[unit]
    out: list[Decimal | None] = []
    for n, d in zip(numerator.tolist(), denominator.tolist(), strict=True):
        out.append(None if d <= 0 else Decimal((2 * n * scale + d) // (2 * d)).scaleb(-1))
    return out


class _LaFigures:
    """One LA's synthetic figures: every indicator's numerators and denominators by period."""

    def __init__(
        self,
        la: LocalAuthority,
        submission: Submission,
        periods: _Periods,
        population: dict[int, int],
        coverage_start: datetime.date,
        formats: Sequence[Format],
        rng: np.random.Generator,
    ) -> None:
        self.la, self.periods = la, periods
        # As the database stores it (hex text on SQLite, a uuid on PostgreSQL).
        self.submission_id = Submission._meta.pk.get_db_prep_value(submission.pk, connection)
        self.population, self.coverage_start, self.formats = population, coverage_start, formats
        self.rng = rng
        latest = max(population.items())[1] if population else 40_000
        self.children = latest / 10_000  # the LA's size in units of 10,000 children
        self.counts: dict[str, tuple[Ints, Ints | None]] = {}

    def _profile(self, indicator: Indicator) -> _Profile:
        return _PROFILES.get(indicator.id, _DEFAULT_PROFILES[indicator.unit])

    def statuses(self, indicator: Indicator) -> list[Status]:
        """Per period: ``no_data`` when no format sent carries the indicator's records,
        ``insufficient_history`` while its look-back starts before the extract does, then
        ``ok`` (``no_population`` for a rate without a population estimate)."""
        if not set(indicator.source_formats) & set(self.formats):
            return [Status.NO_DATA] * MONTHS
        out = []
        for start, end in zip(self.periods.starts, self.periods.ends, strict=True):
            needs = _month_start(start.year, start.month - indicator.look_back_months)
            if indicator.kind is Kind.PERIOD and needs < self.coverage_start:
                out.append(Status.INSUFFICIENT_HISTORY)
            elif indicator.unit is Unit.RATE_PER_10K and self._population(end) is None:
                out.append(Status.NO_POPULATION)
            else:
                out.append(Status.OK)
        return out

    def _population(self, end: datetime.date) -> int | None:
        """The latest mid-year (30 June) estimate on or before the period end, as the
        calculators take it."""
        years = [year for year in self.population if datetime.date(year, 6, 30) <= end]
        return self.population[max(years)] if years else None

    def numbers(self, indicator: Indicator) -> tuple[Ints, Ints | None]:
        """(numerator, denominator) per period; denominator None for counts."""
        if indicator.id in self.counts:
            return self.counts[indicator.id]
        profile, rng = self._profile(indicator), self.rng
        # How this LA differs from England, for this indicator: fixed, plus a drift.
        level = rng.lognormal(0.0, 0.25) * _walk(rng, MONTHS + 11)
        share = np.clip(profile.share * rng.lognormal(0.0, 0.2) * _walk(rng, MONTHS + 11), 0, None)
        denominator: Ints
        if profile.base is not None:
            base = REGISTRY[profile.base]
            denominator = self.numbers(base)[0]
        elif profile.flow:
            monthly = rng.poisson(profile.per_10k * self.children * level)
            numerator_monthly = rng.binomial(monthly, np.clip(share, 0, 1))
            rolling = np.convolve(monthly, np.ones(12, np.int64), "valid")
            numerator = np.convolve(numerator_monthly, np.ones(12, np.int64), "valid")
            self.counts[indicator.id] = numerator.astype(np.int64), rolling.astype(np.int64)
            return self.counts[indicator.id]
        else:
            denominator = rng.poisson(profile.per_10k * self.children * level[11:])
        denominator = denominator.astype(np.int64)
        if indicator.unit is Unit.RATE_PER_10K or indicator.unit is Unit.COUNT:
            # Rates: the count (its denominator is the population); counts: the count alone.
            result: tuple[Ints, Ints | None] = (denominator, None)
        elif indicator.unit is Unit.RATIO:
            # At least one event per child counted, then the rest around the ratio.
            extra = rng.poisson(denominator * np.clip(share[11:] - 1.0, 0, None))
            result = (denominator + extra.astype(np.int64), denominator)
        else:
            result = (rng.binomial(denominator, np.clip(share[11:], 0, 1)), denominator)
        self.counts[indicator.id] = result
        return result

    def value_rows(self, indicator: Indicator) -> list[tuple[Any, ...]]:
        """The indicator's ``IndicatorValue`` rows (``VALUE_COLUMNS``), one per period."""
        statuses = self.statuses(indicator)
        numerator, denominator = self.numbers(indicator)
        if indicator.unit is Unit.RATE_PER_10K:
            denominator = np.array(
                [self._population(end) or 0 for end in self.periods.ends], np.int64
            )
        values = _values(
            indicator.unit, numerator, denominator if denominator is not None else numerator
        )
        rows = []
        for i, status in enumerate(statuses):
            ok = status is Status.OK
            counted = ok or status is Status.NO_POPULATION
            has_denominator = ok and denominator is not None and indicator.unit is not Unit.COUNT
            rows.append(
                (
                    self.la.pk,
                    self.submission_id,
                    indicator.id,
                    self.periods.starts[i],
                    self.periods.ends[i],
                    int(numerator[i]) if counted else None,
                    int(denominator[i]) if has_denominator and denominator is not None else None,
                    values[i] if ok else None,
                    status.value,
                    "",
                )
            )
        return rows

    def breakdown_rows(self, indicator: Indicator) -> Iterator[tuple[Any, ...]]:
        """The indicator's ``IndicatorBreakdown`` rows (``BREAKDOWN_COLUMNS``): its figures
        split by each dimension's groups, every group's numerator and denominator adding up to
        the indicator's, period by period."""
        statuses = self.statuses(indicator)
        numerator, denominator = self.numbers(indicator)
        rng = self.rng
        for dimension, categories in DIMENSIONS.items():
            base = np.array(_SHARES.get(dimension, [1.0] * len(categories)), np.float64)
            shares = rng.dirichlet(base * 300)
            weights = shares * rng.lognormal(0.0, 0.2, len(categories))
            weights /= weights.sum()
            nums: Ints
            dens: Ints | None
            if indicator.unit is Unit.COUNT or denominator is None:
                nums, dens = rng.multinomial(numerator, weights), None
            elif indicator.unit is Unit.RATIO:
                dens = rng.multinomial(denominator, shares)
                extra = np.zeros_like(dens)
                for i, (total, children) in enumerate(zip(numerator, dens, strict=True)):
                    held = children.sum()
                    if held and total > held:  # extra events go to groups that have children
                        extra[i] = rng.multinomial(total - held, children / held)
                nums = dens + extra
            else:
                nums = rng.multinomial(numerator, weights)
                dens = nums + rng.multinomial(denominator - numerator, shares)
            for c, category in enumerate(categories):
                group_nums = nums[:, c]
                group_dens = dens[:, c] if dens is not None else None
                values = _values(
                    indicator.unit, group_nums, group_dens if group_dens is not None else group_nums
                )
                for i, status in enumerate(statuses):
                    ok = status is Status.OK
                    yield (
                        self.la.pk,
                        self.submission_id,
                        indicator.id,
                        self.periods.ends[i],
                        dimension,
                        category,
                        int(group_nums[i]) if ok else None,
                        int(group_dens[i]) if ok and group_dens is not None else None,
                        values[i] if ok else None,
                        status.value,
                    )


def _insert(model: type[models.Model], columns: Sequence[str], rows: Sequence[Any]) -> None:
    """Insert plain rows (tuples in ``columns`` order, attribute names) in bulk: COPY on
    PostgreSQL, one executemany per batch elsewhere (SQLite).

    About 1.1 million breakdown rows for 153 LAs: building a model instance for each and
    letting ``bulk_create`` compile its SQL took over two minutes on SQLite, and executemany
    over a minute on PostgreSQL; these take a fraction of that. The columns are plain (no
    defaults, signals or triggers to honour) and the database adapters convert dates, UUIDs
    and Decimals themselves (``dashboards.published.loader`` inserts the same way).
    """
    if not rows:
        return
    column_of = {field.attname: field.column for field in model._meta.concrete_fields}
    names = ", ".join(connection.ops.quote_name(column_of[name]) for name in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        for start in range(0, len(rows), _BATCH):
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608 (names from the model, values bound)
                rows[start : start + _BATCH],
            )


def _formats(rng: np.random.Generator) -> tuple[Format, ...]:
    draw = rng.random()
    return next(formats for bound, formats in _FORMAT_MIXES if draw < bound)


def seed_national_figures(
    las: int | None = None, as_of: datetime.date | None = None, seed: int = 12
) -> SeedResult:
    """Replace every synthetic submission with one per current LA (the first ``las`` by code
    when given), with figures for every registry indicator and breakdown for the ``MONTHS``
    month ends to ``as_of`` (default: the latest 31 March). One transaction: a reader sees the
    old figures or the new, never a mix. LAs whose accepted submission is real are skipped."""
    as_of = as_of or _latest_year_end(datetime.date.today())
    periods = _Periods.ending(as_of)
    first_start = periods.starts[0]
    now = timezone.now()
    with transaction.atomic():
        user = _seed_user()
        synthetic_submissions().delete()  # their figures go with them (CASCADE)
        chosen = LocalAuthority.objects.current().order_by("code")
        if las is not None:
            chosen = chosen[:las]
        targets = list(chosen)
        real = set(
            Submission.objects.filter(
                local_authority__in=targets, status=Submission.Status.ACCEPTED
            ).values_list("local_authority__code", flat=True)
        )
        targets = [la for la in targets if la.code not in real]
        populations: dict[int, dict[int, int]] = {}
        for la_id, year, population in Population.objects.filter(la__in=targets).values_list(
            "la_id", "year", "population_0_17"
        ):
            populations.setdefault(la_id, {})[year] = population
        # The seeded LAs' figures are the synthetic submissions' only (as storing does).
        IndicatorValue.objects.filter(local_authority__in=targets).delete()
        IndicatorBreakdown.objects.filter(local_authority__in=targets).delete()

        values = breakdowns = 0
        for la in targets:
            rng = _rng(seed, la.code)
            formats = _formats(rng)
            # Four LAs in ten sent a year more history: no insufficient_history at the start.
            long_history = rng.random() < 0.4
            coverage_start = (
                first_start.replace(year=first_start.year - 1) if long_history else first_start
            )
            submission = Submission.objects.create(
                local_authority=la,
                source=(
                    Submission.Source.API
                    if formats == (Format.DFE_API_JSON,)
                    else Submission.Source.UPLOAD
                ),
                created_by=user,
                created_at=now,
                as_of=as_of,
                coverage_start=coverage_start,
                status=Submission.Status.ACCEPTED,
                status_changed_at=now,
                attempts=1,
                progress=100,
                progress_message=SEED_LABEL,
                formats=[str(f) for f in formats],
                query_count=int(rng.integers(0, 25)),
                validated_at=now,
                accepted_by=user,
                accepted_at=now,
                indicators_computed_at=now,
                indicators_attempts=1,
            )
            figures = _LaFigures(
                la, submission, periods, populations.get(la.pk, {}), coverage_start, formats, rng
            )
            value_rows = [row for ind in REGISTRY.values() for row in figures.value_rows(ind)]
            _insert(IndicatorValue, VALUE_COLUMNS, value_rows)
            values += len(value_rows)
            breakdown_rows = [
                row
                for indicator in REGISTRY.values()
                if indicator.breakdowns
                for row in figures.breakdown_rows(indicator)
            ]
            _insert(IndicatorBreakdown, BREAKDOWN_COLUMNS, breakdown_rows)
            breakdowns += len(breakdown_rows)
    return SeedResult(len(targets), values, breakdowns, tuple(sorted(real)), as_of)
