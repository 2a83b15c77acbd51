"""Portal models: reference geography (regions, local authorities, neighbours, population)."""

from portal.models.reference import (  # noqa: F401
    LocalAuthority,
    Population,
    Region,
    StatisticalNeighbour,
)
