"""API keys: django-rest-knox stores only a SHA-512 digest of each key (DRF's own tokens are stored
as given, so a leaked database or backup would have handed out working keys). Keys are issued and
revoked by `core.services.api_key_issue` / `api_key_revoke` (`manage.py create_api_token`)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from rest_framework import exceptions


class ApiKeyAuthentication(TokenAuthentication):
    """knox's scheme (`Authorization: Token <key>`), refusing a key that is not UTF-8 with a 401:
    knox decodes it unguarded, and a fuzzed header would otherwise be a 500."""

    def authenticate_credentials(self, token: bytes):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return super().authenticate_credentials(token)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The key in the OpenAPI schema, under the name DRF's token scheme had (`tokenAuth`)."""

    target_class = "core.api_auth.ApiKeyAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Token")
