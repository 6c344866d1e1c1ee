"""The Cognito prefix domain of a stage's managed login: derived, validated at synth, and its public URLs.

WHY derived: a prefix is unique per Region across all accounts, and changing it replaces the domain (every
sign-in URL changes), so it is computed from values that never change for a deployment: app name, stage and
account id (the account makes it unique across accounts). Cognito's rules (checked here so synth fails, not
the deploy): pattern ``^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$`` and at most 63 characters (API reference,
CreateUserPoolDomain ``Domain``), and no reserved word ``aws``, ``amazon`` or ``cognito`` anywhere in it
(Cognito answers ``InvalidParameterException: Domain cannot contain reserved word: aws``; developer guide,
"Using the Amazon Cognito prefix domain for managed login").
"""

from __future__ import annotations

import re

from aws_cdk import Token

from stacks.validation import ConfigError, Problem

DOMAIN_PREFIX_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$")
RESERVED_WORDS = ("aws", "amazon", "cognito")
MAX_PREFIX_LENGTH = 63
ACCOUNT_ID_LENGTH = 12


def domain_prefix(*, app_name: str, stage: str, account: str) -> str:
    """``agentcore-session-dev-123456789012``; the account may be a token (environment-agnostic synth).

    Raises:
        ConfigError: the prefix breaks one of Cognito's rules (every problem listed).
    """
    static = f"{app_name}-{stage}"
    account_part = "0" * ACCOUNT_ID_LENGTH if Token.is_unresolved(account) else account
    check_prefix(f"{static}-{account_part}")
    return f"{static}-{account}"


def check_prefix(prefix: str) -> None:
    """Raise ConfigError naming each of Cognito's rules ``prefix`` breaks."""
    key = "Cognito domain prefix (from app_name, stage and account)"
    allowed = []
    if len(prefix) > MAX_PREFIX_LENGTH:
        allowed.append(f"at most {MAX_PREFIX_LENGTH} characters (it has {len(prefix)})")
    if not DOMAIN_PREFIX_PATTERN.match(prefix):
        allowed.append(f"a match of {DOMAIN_PREFIX_PATTERN.pattern}")
    allowed += [
        f"no reserved word '{word}' (choose an app_name without it)" for word in RESERVED_WORDS if word in prefix
    ]
    if allowed:
        raise ConfigError([Problem(key, prefix, rule) for rule in allowed])


def login_domain_url(prefix: str, region: str) -> str:
    """``https://<prefix>.auth.<region>.amazoncognito.com``: the managed login pages and OAuth endpoints."""
    return f"https://{prefix}.auth.{region}.amazoncognito.com"
