"""Reference geography: regions, local authorities, statistical neighbours and child population.

These tables are filled from files shipped in ``portal/reference_data/`` by the
``load_reference_data`` management command (see ``portal.reference``); nobody edits them by hand.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q

NEIGHBOURS_PER_LA = 10


class Region(models.Model):
    """An English region (ONS ``E12`` code) or one of London's sub-regions (``E13`` code).

    DfE publishes figures for the nine regions and separately for Inner and Outer London, so the
    two London sub-regions are regions too, with ``parent`` pointing at London. A region with no
    parent is one of the nine.
    """

    code = models.CharField("ONS (GSS) code", max_length=9, unique=True)
    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sub_regions",
        help_text="Set only for Inner London and Outer London (parent: London).",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class LocalAuthorityQuerySet(models.QuerySet["LocalAuthority"]):
    def current(self) -> LocalAuthorityQuerySet:
        """Local authorities that still exist (not abolished by a reorganisation)."""
        return self.filter(valid_to__isnull=True)


class LocalAuthority(models.Model):
    """A local authority with children's services responsibilities (upper-tier or unitary).

    Includes the authorities abolished by local government reorganisation since 2019, with
    ``valid_to`` set and ``successors`` pointing at the authorities that took over; the reverse
    relation ``predecessors`` answers "what did this authority replace?". ``valid_from`` is set
    only for authorities created within the period the data covers, and is empty for older ones.
    """

    code = models.CharField(
        "DfE LA code",
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^[0-9]{3}$", "A DfE LA code is three digits.")],
        help_text="The three-digit DfE code ('old_la_code' in published files).",
    )
    # Buckinghamshire (2020), North Yorkshire and Somerset (2023) kept their DfE code but got a new
    # GSS code when they became unitary; this holds the current one, so historical files must be
    # joined on ``code``, not on this.
    ons_code = models.CharField(
        "ONS (GSS) code",
        max_length=9,
        unique=True,
        help_text="The current GSS code ('new_la_code' in published files).",
    )
    name = models.CharField(max_length=100)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="local_authorities")
    sub_region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sub_region_local_authorities",
        help_text="Inner London or Outer London, for London boroughs only.",
    )
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    successors = models.ManyToManyField(
        "self", symmetrical=False, related_name="predecessors", blank=True
    )

    objects = LocalAuthorityQuerySet.as_manager()

    class Meta:
        ordering = ["name", "code"]
        verbose_name_plural = "local authorities"
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=F("valid_from")),
                name="la_valid_to_not_before_valid_from",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Closeness(models.TextChoices):
    """The closeness labels of the DfE statistical neighbour model, as published (sentence case)."""

    EXTREMELY_CLOSE = "Extremely close", "Extremely close"
    VERY_CLOSE = "Very close", "Very close"
    CLOSE = "Close", "Close"
    SOMEWHAT_CLOSE = "Somewhat close", "Somewhat close"
    NOT_CLOSE = "Not close", "Not close"


class StatisticalNeighbour(models.Model):
    """One of an LA's ten statistical neighbours in a given DfE model, with its rank (1 = closest).

    The DfE children's services statistical neighbour model picks, for each LA, the ten LAs most
    alike on socio-economic and demographic measures; dashboards compare an LA with the median of
    its neighbours. ``model_year`` keeps models apart (the 2025 model replaced the 2021 one).
    """

    la = models.ForeignKey(
        LocalAuthority, on_delete=models.CASCADE, related_name="statistical_neighbours"
    )
    neighbour = models.ForeignKey(
        LocalAuthority, on_delete=models.CASCADE, related_name="statistical_neighbour_of"
    )
    model_year = models.PositiveSmallIntegerField()
    rank = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(NEIGHBOURS_PER_LA)]
    )
    closeness = models.CharField(max_length=20, choices=Closeness.choices)

    class Meta:
        ordering = ["la", "model_year", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["la", "model_year", "rank"], name="sn_unique_rank_per_la_model"
            ),
            models.UniqueConstraint(
                fields=["la", "model_year", "neighbour"], name="sn_unique_neighbour_per_la_model"
            ),
            models.CheckConstraint(
                condition=Q(rank__gte=1, rank__lte=NEIGHBOURS_PER_LA), name="sn_rank_1_to_10"
            ),
            models.CheckConstraint(condition=~Q(la=F("neighbour")), name="sn_not_own_neighbour"),
        ]

    def __str__(self) -> str:
        return f"{self.la} neighbour {self.rank} ({self.model_year} model): {self.neighbour}"


class GeographyLevel(models.TextChoices):
    """The geography a published figure is for, as in the EES ``geographic_level`` column."""

    NATIONAL = "national", "England"
    REGIONAL = "regional", "Region"
    LOCAL_AUTHORITY = "local_authority", "Local authority"


class Population(models.Model):
    """ONS mid-year estimate of children aged 0 to 17 for England, a region or an LA, in a year.

    Exactly one of ``region``/``la`` is set for regional/LA figures and neither for England. LA
    figures exist only for the years the authority existed: the published file does not back-cast
    authorities created by a reorganisation.
    """

    geography_level = models.CharField(max_length=20, choices=GeographyLevel.choices)
    region = models.ForeignKey(
        Region, on_delete=models.CASCADE, null=True, blank=True, related_name="populations"
    )
    la = models.ForeignKey(
        LocalAuthority, on_delete=models.CASCADE, null=True, blank=True, related_name="populations"
    )
    year = models.PositiveSmallIntegerField(help_text="Year of the mid-year (30 June) estimate.")
    population_0_17 = models.PositiveIntegerField("population aged 0 to 17")

    class Meta:
        ordering = ["geography_level", "year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(geography_level=GeographyLevel.NATIONAL, region=None, la=None)
                | Q(geography_level=GeographyLevel.REGIONAL, region__isnull=False, la=None)
                | Q(geography_level=GeographyLevel.LOCAL_AUTHORITY, region=None, la__isnull=False),
                name="population_geography_matches_level",
            ),
            # NULLs never clash in a unique index, so each of these only constrains its own level.
            models.UniqueConstraint(fields=["la", "year"], name="population_unique_la_year"),
            models.UniqueConstraint(
                fields=["region", "year"], name="population_unique_region_year"
            ),
            models.UniqueConstraint(
                fields=["year"],
                condition=Q(geography_level=GeographyLevel.NATIONAL),
                name="population_unique_national_year",
            ),
        ]

    def __str__(self) -> str:
        geography = self.la or self.region or GeographyLevel.NATIONAL.label
        return f"{geography} {self.year}: {self.population_0_17:,}"
