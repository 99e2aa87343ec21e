"""``dualcarbon create_api_token USERNAME NAME [--org ID|USCC]``: issue a token and print its key once."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from dualcarbon.registry import api_tokens
from dualcarbon.registry.models import Organisation


class Command(BaseCommand):
    help = (
        "Create an API token for an enterprise staff member (every router) or a bank staff member (the accounts API, "
        "under the bank's consents) and print the key (shown only once)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("name", help="what the token is for, e.g. 'ERP 能源模块'")
        parser.add_argument("--org", help="enterprise or bank id or USCC (needed when the user belongs to several)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = api_tokens.user_by_name(options["username"])
        except Exception as exc:
            raise CommandError(f"no user {options['username']!r}") from exc
        org = None
        if options.get("org"):
            ref = str(options["org"])
            org = Organisation.objects.filter(Q(uscc=ref) | Q(pk=int(ref) if ref.isdigit() else None)).first()
            if org is None:
                raise CommandError(f"no organisation {ref!r}")
        try:
            token, key = api_tokens.issue(user, options["name"], org)
        except (PermissionDenied, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write(f"token {token.pk} '{token.name}' for {token.organisation} acting as {user.username}")
        self.stdout.write(key)
