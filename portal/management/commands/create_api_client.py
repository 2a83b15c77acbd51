"""``manage.py create_api_client --la CODE [--json]``: an API client for scripted set-up.

Prints the client id, secret and supplier key once, with the token URL and API base URL the
sender is configured with; only their hashes are kept. The creation is audited with no
acting user (it was run on the server).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal import api_clients
from portal.models import LocalAuthority


class Command(BaseCommand):
    help = "Create an API client bound to one local authority and print its credentials once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--la", required=True, help="The three-digit DfE LA code.")
        parser.add_argument(
            "--json",
            action="store_true",
            help="Print one JSON object: client_id, client_secret, supplier_key, token_url, "
            "api_base_url.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        la = LocalAuthority.objects.current().filter(code=options["la"]).first()
        if la is None:
            raise CommandError(f"No current local authority has the code {options['la']!r}.")
        values = api_clients.create(la, None).as_dict()
        if options["json"]:
            # The scope too: the sender posts it with its token request (its SCOPE setting).
            keys = ("client_id", "client_secret", "supplier_key", "scope", "token_url",
                    "api_base_url")  # fmt: skip
            self.stdout.write(json.dumps({key: values[key] for key in keys}))
            return
        self.stdout.write(f"API client for {la.name} ({la.code}). Shown once: keep it now.")
        for key, setting in (
            ("client_id", "CLIENT_ID"),
            ("client_secret", "CLIENT_SECRET"),
            ("supplier_key", "SUPPLIER_KEY"),
            ("scope", "SCOPE"),
            ("token_url", "TOKEN_ENDPOINT"),
            ("api_base_url", "API_ENDPOINT"),
        ):
            self.stdout.write(f"{setting}={values[key]}")
        self.stdout.write(f"LA_CODE={la.code}")
