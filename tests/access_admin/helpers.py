"""Helpers shared by the access page tests."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail
from django.test import Client
from django.urls import reverse

from portal.models import LocalAuthority

ACCEPT_LINK = re.compile(r"https?://\S+/access/invitations/accept/[^/\s]+/")


def send_invitation(
    client: Client, email: str = "nadia@barnsley.example.org", **overrides: Any
) -> str:
    """Invite someone as Barnsley's LA data lead through the invite page, signed in as
    ``client``, and return the link from the email."""
    data = {
        "email": email,
        "full_name": "Nadia New",
        "role": "la_data_lead",
        "local_authorities": [LocalAuthority.objects.get(code="370").pk],
        **overrides,
    }
    response = client.post(reverse("access_admin:invite"), data)
    assert response.status_code == 302, response.context["form"].errors
    return last_link()


def last_link() -> str:
    """The accept link in the most recent email sent."""
    match = ACCEPT_LINK.search(str(mail.outbox[-1].body))
    assert match, mail.outbox[-1].body
    return match.group(0)


NEW_PASSWORD = "a-long-unusual-passphrase"


def accept_data() -> dict[str, str]:
    """A valid completed accept form."""
    return {"full_name": "Nadia New", "password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
