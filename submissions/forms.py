"""Forms of the submission pages: upload an extract, explain a query, filter a report.

They render through the project's GOV.UK form renderer (``portal.forms``). The one component
it has no generic template for, the GOV.UK date input (day, month and year boxes in a
fieldset), is ``GovukDateField`` here, with its own field and widget templates.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone

from portal.access import Action, local_authorities_for
from portal.forms import FilterForm
from portal.models import LocalAuthority
from submissions.models import ValidationFinding
from submissions.safety import ALLOWED_EXTENSIONS

__all__ = [
    "ApiFeedForm",
    "ExplainQueryForm",
    "FindingFilterForm",
    "GovukDateField",
    "HistoryFilterForm",
    "MultipleFileField",
    "UploadForm",
]

NOTE_MAX_LENGTH = 2000
COVERAGE_AFTER_AS_OF = "The date the extract is complete from must be before the extract date"
#: Said beside the file box when another field's error sends the page back: a browser never
#: fills a file input in again, and saying nothing made the next submit fail for no files.
FILES_NOT_KEPT = "Choose your files again: files cannot be kept after an error"


# --- Several files in one input --------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    """``<input type="file" multiple>`` (Django needs this spelled out since 5.0)."""

    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field whose cleaned value is a list of files, each checked like a single one;
    the errors of every bad file are reported together."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single_clean = super().clean
        # No file at all: let FileField raise its "required" error.
        items = (list(data) if isinstance(data, list | tuple) else [data]) or [None]
        cleaned, errors = [], []
        for item in items:
            try:
                cleaned.append(single_clean(item, initial))
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        return cleaned


# --- The GOV.UK date input ------------------------------------------------------------------


class GovukDateInput(forms.MultiWidget):
    """Day, month and year text boxes laid out as the GOV.UK date input.

    The day box takes the field's own id, so the error summary's link (to ``#id_<name>``)
    lands on the first box, as the Design System asks.
    """

    template_name = "submissions/forms/date_input.html"
    PARTS = (("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4))

    def __init__(self) -> None:
        box = {"inputmode": "numeric", "autocomplete": "off"}
        super().__init__({name: forms.TextInput(attrs=box) for name, _, _ in self.PARTS})

    def decompress(self, value: datetime.date | None) -> list[Any]:
        return [value.day, value.month, value.year] if value else [None, None, None]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        outer = context["widget"]["attrs"]
        # Django marks a field in error with aria-invalid; GOV.UK also wants a red border.
        error = " govuk-input--error" if outer.get("aria-invalid") else ""
        for (part, label, width), sub in zip(
            self.PARTS, context["widget"]["subwidgets"], strict=True
        ):
            sub["label"] = label
            sub["attrs"]["class"] = (
                f"govuk-input govuk-date-input__input govuk-input--width-{width}{error}"
            )
            if outer.get("id"):
                sub["attrs"]["id"] = outer["id"] if part == "day" else f"{outer['id']}-{part}"
        return context


class GovukDateField(forms.MultiValueField):
    """A date typed as day, month and year, with the Design System's error messages.

    ``noun`` is how messages refer to the date ("Enter the extract date"). Dates after today
    are refused: an extract cannot have been taken in the future.
    """

    widget = GovukDateInput

    def __init__(self, *, noun: str, **kwargs: Any) -> None:
        self.noun = noun
        parts = (forms.CharField(required=False, strip=True) for _ in GovukDateInput.PARTS)
        kwargs.setdefault("error_messages", {"required": f"Enter the {noun}"})
        kwargs.setdefault("template_name", "submissions/forms/date_field.html")
        super().__init__(fields=tuple(parts), require_all_fields=False, **kwargs)

    def compress(self, data_list: Sequence[str]) -> datetime.date | None:
        if not data_list or not any(data_list):
            return None
        labels = [label.lower() for _, label, _ in GovukDateInput.PARTS]
        missing = [label for label, value in zip(labels, data_list, strict=True) if not value]
        if missing:
            raise ValidationError(
                f"The {self.noun} must include a {' and a '.join(missing)}", code="incomplete"
            )
        day, month, year = data_list
        if not all(part.isdigit() for part in data_list) or len(year) != 4:
            raise ValidationError(f"The {self.noun} must be a real date", code="invalid")
        try:
            value = datetime.date(int(year), int(month), int(day))
        except (ValueError, OverflowError):  # OverflowError: a day of 99999999999999999999
            raise ValidationError(f"The {self.noun} must be a real date", code="invalid") from None
        if value > timezone.localdate():
            raise ValidationError(f"The {self.noun} must be today or in the past", code="future")
        return value


# --- Upload -----------------------------------------------------------------------------------


class UploadForm(forms.Form):
    """Which LA, which files, and the dates the extract covers.

    The LA choices are only those the user may upload for, so a forged value is refused as an
    invalid choice. With exactly one choice the field is hidden and the page names the LA.
    """

    local_authority = forms.ModelChoiceField(
        label="Which local authority is this extract for?",
        queryset=LocalAuthority.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Select the local authority this extract is for",
            "invalid_choice": "Select a local authority you can upload extracts for",
        },
    )
    uploads = MultipleFileField(
        label="Upload the extract files",
        # Empty files, wrong types and the like are refused by the service (safety checks),
        # which names the file and says how to fix it.
        allow_empty_file=True,
        error_messages={"required": "Select the extract files"},
    )
    as_of = GovukDateField(
        noun="extract date",
        label="When was the extract taken?",
        help_text="The date the data was taken from your case management system, for example "
        "31 3 2024. For a CIN census file this is its reference date.",
    )
    coverage_start = GovukDateField(
        noun="date the extract is complete from",
        label="From what date is the extract complete? (optional)",
        required=False,
        help_text="The first date from which the extract holds every child's records, for "
        "example 1 4 2021 for a 3-year extract. Figures are only worked out from this date. "
        "Leave it blank to use the date the files give, or the earliest date in them.",
    )

    #: For the page's script, which checks the dates before the files are sent.
    coverage_after_as_of = COVERAGE_AFTER_AS_OF

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: QuerySet[LocalAuthority] = local_authorities_for(user, Action.UPLOAD).order_by(
            "name"
        )
        field = self.fields["local_authority"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = choices
        # The limits come from settings (the upload handler enforces them while streaming).
        uploads = self.fields["uploads"]
        uploads.help_text = (
            "Choose all the files of the extract at once, or one zip file holding them: up to "
            f"{settings.UPLOAD_MAX_FILES} files of up to "
            f"{settings.UPLOAD_MAX_FILE_BYTES // 1_000_000:,} MB each. Each file must be "
            f"{', '.join(ALLOWED_EXTENSIONS[:-1])} or {ALLOWED_EXTENSIONS[-1]}."
        )
        uploads.widget.attrs["accept"] = ",".join(ALLOWED_EXTENSIONS)
        self.fixed_local_authority: LocalAuthority | None = None
        if len(choices) == 1:
            self.fixed_local_authority = choices[0]
            field.widget = forms.HiddenInput()
            field.initial = self.fixed_local_authority.pk

    def clean(self) -> dict[str, Any]:
        data = self.cleaned_data
        as_of, start = data.get("as_of"), data.get("coverage_start")
        if as_of and start and start >= as_of:
            self.add_error("coverage_start", COVERAGE_AFTER_AS_OF)
        return data

    def full_clean(self) -> None:
        """Validate, then, if the files were fine but another field was not, say on the file
        box that the files must be chosen again. (The page's script checks those fields
        before sending, so this is for browsers without it and checks only the server can
        make.)"""
        super().full_clean()
        if self.is_bound and self.errors and "uploads" not in self.errors:
            names = [upload.name for upload in self.files.getlist("uploads") if upload.name]
            if names:
                chosen = ", ".join(names) if len(names) <= 3 else f"{len(names)} files"
                self.add_error("uploads", f"{FILES_NOT_KEPT} (you chose {chosen})")


# --- Report -----------------------------------------------------------------------------------


class ExplainQueryForm(forms.Form):
    """A data lead's note on why the findings of one query rule are right (or what is being
    done about them). The report has one per query rule, each with its own prefix and label,
    so the fields' ids and names never clash."""

    note = forms.CharField(
        help_text="Say why the data is right, for example a known local practice. "
        "The Department for Education reads this note.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTE_MAX_LENGTH,
        error_messages={
            "required": "Enter a note explaining these queries",
            "max_length": f"The note must be {NOTE_MAX_LENGTH:,} characters or fewer",
        },
    )

    def __init__(
        self, data: Any = None, *, code: str, initial: dict[str, Any] | None = None
    ) -> None:
        super().__init__(data, prefix=f"explain-{code}", initial=initial)
        self.code = code
        self.fields["note"].label = f"Explain the queries of rule {code}"


class FindingFilterForm(FilterForm):
    """The report's filters (a GET form). Choices come from the submission's own findings. A
    child id is child data, so an export's audit trail records only that one was given."""

    lookups: ClassVar[dict[str, str]] = {
        "severity": "severity",
        "rule": "code",
        "file": "file",
        "child_id": "child_id__icontains",
    }
    redacted: ClassVar[frozenset[str]] = frozenset({"child_id"})

    severity = forms.ChoiceField(
        label="Severity",
        required=False,
        choices=[("", "Errors and queries"), *ValidationFinding.Severity.choices],
    )
    rule = forms.ChoiceField(label="Rule", required=False)
    file = forms.ChoiceField(label="File", required=False)
    child_id = forms.CharField(label="Child ID contains", required=False, max_length=64)

    def __init__(self, *args: Any, codes: Sequence[str], files: Sequence[str], **kw: Any) -> None:
        super().__init__(*args, **kw)
        rule, file = self.fields["rule"], self.fields["file"]
        assert isinstance(rule, forms.ChoiceField)
        assert isinstance(file, forms.ChoiceField)
        rule.choices = [("", "All rules"), *((c, c) for c in codes)]
        file.choices = [("", "All files"), *((f, f) for f in files)]


class HistoryFilterForm(FilterForm):
    """Narrow the submission history to one LA (shown only to users who see several)."""

    lookups: ClassVar[dict[str, str]] = {"la": "local_authority"}

    la = forms.ModelChoiceField(
        label="Local authority",
        queryset=LocalAuthority.objects.none(),
        to_field_name="code",
        required=False,
        empty_label="All local authorities",
    )

    def __init__(self, *args: Any, local_authorities: QuerySet[LocalAuthority], **kw: Any) -> None:
        super().__init__(*args, **kw)
        field = self.fields["la"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = local_authorities


class ApiFeedForm(forms.ModelForm):
    """An API-fed LA's snapshot settings (``submissions.models.ApiFeed``)."""

    NO_SCHEDULE = ""
    snapshot_hour = forms.TypedChoiceField(
        label="When should we take the nightly snapshot?",
        help_text="UK time. We only take it when new records have arrived since the last one.",
        choices=[
            (NO_SCHEDULE, "Only when someone asks for one"),
            *((hour, f"{hour:02d}:05") for hour in range(24)),
        ],
        coerce=int,
        empty_value=None,
        required=False,
    )

    class Meta:
        from submissions.models import ApiFeed

        model = ApiFeed
        fields = ["snapshot_hour", "auto_accept"]
        labels = {"auto_accept": "Accept a snapshot automatically when it has no errors"}
        help_texts = {
            "auto_accept": "A snapshot with errors always waits for you. Its figures are "
            "then worked out as soon as it is accepted."
        }
