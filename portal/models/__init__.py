"""Portal models: reference geography, users and their roles, invitations, API client
accounts, the audit trail."""

from portal.models.access import (  # noqa: F401
    LA_SCOPED_ROLES,
    REGION_SCOPED_ROLES,
    UNSCOPED_ROLES,
    Invitation,
    Membership,
    Role,
    User,
)
from portal.models.api_clients import ApiClientAccount  # noqa: F401
from portal.models.audit import AuditAction, AuditEvent, AuditOutcome  # noqa: F401
from portal.models.reference import (  # noqa: F401
    LocalAuthority,
    Population,
    Region,
    StatisticalNeighbour,
)
