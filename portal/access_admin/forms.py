"""Forms for the access pages. Scope rules come from ``services.validate_scope`` so a form
and the service it feeds can never disagree about what a role needs."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.forms.boundfield import BoundWidget

from portal.access_admin.services import validate_new_email, validate_scope
from portal.forms import FilterForm
from portal.models import (
    LA_SCOPED_ROLES,
    REGION_SCOPED_ROLES,
    AuditAction,
    AuditOutcome,
    Invitation,
    LocalAuthority,
    Region,
    Role,
    User,
)

__all__ = [
    "AcceptInvitationForm",
    "AddMembershipForm",
    "AuditFilterForm",
    "InviteForm",
    "UserSearchForm",
]

_M = TypeVar("_M", bound=Model)

DATE_HINT = "For example, 27/3/2026"
DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
DATE_ERRORS = {"invalid": "Enter a real date, like 27/3/2026"}


def _current_local_authorities() -> QuerySet[LocalAuthority]:
    return LocalAuthority.objects.current().order_by("name")


def _regions() -> QuerySet[Region]:
    # The nine English regions; Inner and Outer London (which have a parent) are not scopes
    # of their own, because a London RISL covers the whole of London.
    return Region.objects.filter(parent__isnull=True).order_by("name")


def _role_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select a role"},
    )


def _scope_error_to_form(form: forms.Form, error: ValidationError) -> None:
    for field, messages in error.message_dict.items():
        for message in messages:
            form.add_error(field, message)


#: How the invite page's messages name someone in each role ("a DfE Case Lead").
_ROLE_PHRASE = {
    Role.LA_DATA_LEAD: "an LA data lead",
    Role.LA_VIEWER: "an LA viewer",
    Role.DFE_CASE_LEAD: "a DfE Case Lead",
    Role.RISL: "a Regional Improvement Support Lead (RISL)",
    Role.NATIONAL_ANALYST: "a DfE national analyst",
    Role.ACCESS_ADMIN: "an access admin",
}


def _scope_kind(role: str) -> str:
    """Which scope a role takes: ``"la"``, ``"region"`` or ``""`` (none)."""
    if role in LA_SCOPED_ROLES:
        return "la"
    return "region" if role in REGION_SCOPED_ROLES else ""


class InviteForm(forms.Form):
    """Who to invite, to which role and scope.

    The page (``access_admin/invite.html``) shows under the roles only the scope the chosen
    role takes, and a filter over the long list of local authorities; both are progressive
    enhancements, so without JavaScript every field shows and ``clean`` alone decides whether
    the scope fits the role.
    """

    email = forms.EmailField(
        label="Email address",
        help_text="Their work email address. The invitation is sent to it",
        error_messages={
            "required": "Enter their email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
    )
    full_name = forms.CharField(
        label="Full name", max_length=150, error_messages={"required": "Enter their full name"}
    )
    role = _role_field()
    # In the page's order (its LA panel comes first), which the error summary follows.
    # Checkboxes, not a multiple select: a GOV.UK select is one line tall, and checkboxes
    # work without a keyboard modifier. A Case Lead may need several.
    local_authorities = forms.ModelMultipleChoiceField(
        label="Local authorities",
        queryset=_current_local_authorities(),
        required=False,
        help_text="Only for an LA data lead, an LA viewer or a DfE Case Lead. "
        "Choose every local authority they work on",
        widget=forms.CheckboxSelectMultiple,
    )
    regions = forms.ModelMultipleChoiceField(
        label="Regions",
        queryset=_regions(),
        required=False,
        help_text="Only for a Regional Improvement Support Lead",
        widget=forms.CheckboxSelectMultiple,
    )

    def role_options(self) -> list[tuple[BoundWidget, str, str]]:
        """Each role's radio, the scope it takes (``la``, ``region`` or empty) and the scope
        panel drawn after it: each panel follows the last radio of the roles that use it, so
        it sits under its roles, as the GOV.UK conditional reveal does."""
        options = list(self["role"].subwidgets)
        kinds = [_scope_kind(str(option.data["value"])) for option in options]
        last = {kind: index for index, kind in enumerate(kinds) if kind}
        return [
            (option, kind, kind if kind and last[kind] == index else "")
            for index, (option, kind) in enumerate(zip(options, kinds, strict=True))
        ]

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip().lower()
        try:
            validate_new_email(email)
        except ValidationError as error:
            raise ValidationError(error.message_dict["email"]) from error
        return email

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if "role" not in cleaned:
            return cleaned
        role = cleaned["role"]
        try:
            validate_scope(
                role,
                list(cleaned.get("local_authorities", [])),
                list(cleaned.get("regions", [])),
            )
        except ValidationError as error:
            # The rules are the service's; the words are this page's, which says what to do
            # in terms of the role just chosen.
            for field in error.message_dict:
                self.add_error(field, self._scope_message(role, field))
        return cleaned

    @staticmethod
    def _scope_message(role: str, field: str) -> str:
        """What to do about a scope that does not fit the role, said of that role: "Choose
        at least one local authority for a DfE Case Lead", "A DfE national analyst has no
        local authority or region. Untick the regions"."""
        phrase = _ROLE_PHRASE[Role(role)]
        person = phrase[0].upper() + phrase[1:]
        kind = _scope_kind(role)
        if field == "local_authorities":
            if kind == "la":
                return f"Choose at least one local authority for {phrase}"
            has_no, untick = "local authority", "local authorities"
        else:
            if kind == "region":
                return f"Choose a region for {phrase}"
            has_no, untick = "region", "regions"
        if not kind:
            has_no = "local authority or region"
        return f"{person} has no {has_no}. Untick the {untick}"


class AddMembershipForm(forms.Form):
    """Give an existing user one more role, over one local authority or region."""

    role = _role_field()
    local_authority = forms.ModelChoiceField(
        label="Local authority",
        queryset=_current_local_authorities(),
        required=False,
        empty_label="Choose a local authority",
        help_text="For LA data leads, LA viewers and DfE Case Leads",
    )
    region = forms.ModelChoiceField(
        label="Region",
        queryset=_regions(),
        required=False,
        empty_label="Choose a region",
        help_text="For Regional Improvement Support Leads",
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if "role" in cleaned:
            la = cleaned.get("local_authority")
            region = cleaned.get("region")
            try:
                validate_scope(
                    cleaned["role"],
                    [la] if la else [],
                    [region] if region else [],
                    la_field="local_authority",
                    region_field="region",
                )
            except ValidationError as error:
                _scope_error_to_form(self, error)
        return cleaned

    @property
    def scope(self) -> LocalAuthority | Region | None:
        """The chosen local authority or region (after validation, at most one is set)."""
        scope: LocalAuthority | Region | None = self.cleaned_data.get(
            "local_authority"
        ) or self.cleaned_data.get("region")
        return scope


class AcceptInvitationForm(forms.Form):
    """The invited person's name and new password."""

    full_name = forms.CharField(
        label="Full name", max_length=150, error_messages={"required": "Enter your full name"}
    )
    password = forms.CharField(
        label="Create a password",
        strip=False,
        error_messages={"required": "Enter a password"},
        help_text="At least 12 characters. Do not use a password you use anywhere else",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label="Confirm your password",
        strip=False,
        error_messages={"required": "Enter your password again"},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"full_name": invitation.full_name})
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        password = cleaned.get("password")
        if not password:
            return cleaned
        if password != cleaned.get("password_confirm"):
            self.add_error("password_confirm", "The passwords do not match")
            return cleaned
        # An unsaved user lets the similarity validator compare the password with the
        # person's own email address and name.
        candidate = User(email=self.invitation.email, full_name=cleaned.get("full_name", ""))
        try:
            password_validation.validate_password(password, user=candidate)
        except ValidationError as error:
            self.add_error("password", error)
        return cleaned


class UserSearchForm(FilterForm):
    """The search box on the users list."""

    q = forms.CharField(label="Search by name or email address", required=False, max_length=254)

    def filter(self, queryset: QuerySet[_M]) -> QuerySet[_M]:
        """Users whose name or email contains the search text (one box, two fields)."""
        text = self.cleaned_data.get("q", "") if self.is_valid() else ""
        if not text:
            return queryset
        return queryset.filter(Q(email__icontains=text) | Q(full_name__icontains=text))


class AuditFilterForm(FilterForm):
    """Filters for the audit trail page and its CSV export (submitted with GET). Dates are
    whole days, UK time."""

    lookups: ClassVar[dict[str, str]] = {
        "action": "action",
        "actor": "actor_email__icontains",
        "organisation": "organisation__iexact",
        "outcome": "outcome",
        "date_from": "occurred_at__date__gte",
        "date_to": "occurred_at__date__lte",
    }

    action = forms.ChoiceField(
        label="Event", choices=[("", "All events"), *AuditAction.choices], required=False
    )
    actor = forms.CharField(label="Done by (email contains)", required=False, max_length=254)
    organisation = forms.CharField(
        label="Organisation code",
        required=False,
        max_length=16,
        help_text="A DfE LA code such as 370, or a region code such as E12000003",
    )
    outcome = forms.ChoiceField(
        label="Outcome", choices=[("", "All outcomes"), *AuditOutcome.choices], required=False
    )
    date_from = forms.DateField(
        label="Start date",
        required=False,
        input_formats=DATE_FORMATS,
        help_text=DATE_HINT,
        error_messages=DATE_ERRORS,
    )
    date_to = forms.DateField(
        label="End date",
        required=False,
        input_formats=DATE_FORMATS,
        help_text=DATE_HINT,
        error_messages=DATE_ERRORS,
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date must be the same as or after the start date")
        return cleaned
