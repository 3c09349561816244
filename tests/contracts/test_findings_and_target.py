"""The findings report names rules; the target reads the e2e state file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts.findings import Outcome, render, rule_of
from contracts.target import (
    TargetError,
    User,
    load_credentials_file,
    target_from_document,
    with_options,
)


@pytest.mark.parametrize(
    ("name", "source", "topic"),
    [
        (
            "test_rfc6749_5_2_invalid_grant_wrong_password",
            "RFC 6749 section 5.2",
            "invalid grant wrong password",
        ),
        (
            "test_step7_other_keystoneid_forbidden",
            "Flow step 7",
            "other keystoneid forbidden",
        ),
        (
            "test_oidc_discovery_4_3_issuer_equals_url",
            "OpenID Connect Discovery 1.0 section 4.3",
            "issuer equals url",
        ),
        (
            "test_rfc7517_jwks_holds_no_symmetric_keys[x]",
            "RFC 7517",
            "jwks holds no symmetric keys",
        ),
        ("test_openapi_udr_conforms", "OpenAPI document", "udr conforms"),
        ("test_something_else", "Contract", "something else"),
    ],
)
def test_rule_of_reads_the_test_name(name: str, source: str, topic: str) -> None:
    rule = rule_of(name)
    assert (rule.source, rule.topic) == (source, topic)


def test_render_reports_failures_as_findings_and_skips_with_reasons() -> None:
    outcomes = [
        Outcome(
            "m::test_step7_other_keystoneid_forbidden",
            "test_step7_other_keystoneid_forbidden",
            "Another id is refused 403.",
            "failed",
            "expected 403, got 200",
        ),
        Outcome(
            "m::test_step8_own_keystoneid_served",
            "test_step8_own_keystoneid_served",
            "",
            "passed",
        ),
        Outcome(
            "m::test_openam_keystoneid_in_id_token",
            "test_openam_keystoneid_in_id_token",
            "",
            "skipped",
            "differs from OpenAM: no scope claims",
        ),
    ]
    text = render("provider X, UDR Y", outcomes)
    assert (
        "Result: 1 finding(s), 1 rule(s) held, 1 not checked, 0 could not run." in text
    )
    assert "### 1. Flow step 7: other keystoneid forbidden" in text
    assert "- Rule: Another id is refused 403." in text
    assert "- Observed: expected 403, got 200" in text
    skipped_row = "| OpenAM behaviour | `test_openam_keystoneid_in_id_token` |"
    assert f"{skipped_row} differs from OpenAM: no scope claims |" in text
    assert "- Flow step 8: own keystoneid served" in text


STATE = {
    "openam": {
        "url": "http://127.0.0.1:1/openam",
        "issuer": "http://127.0.0.1:1/openam/oauth2",
        "test_control": "http://127.0.0.1:1/openam/__test__",
    },
    "udr": {"url": "http://127.0.0.1:2"},
    "dashboard": {"url": "http://127.0.0.1:3"},
    "users": [
        {"username": "alice", "password": "a", "keystoneid": "ka"},
        {"username": "bob", "password": "b", "keystoneid": "kb"},
    ],
    "clients": {
        "dashboard": {"client_id": "dashboard", "client_secret": "d"},
        "collector": {"client_id": "collector", "client_secret": "c"},
        "udr": {"client_id": "udr", "client_secret": "u"},
    },
}


def test_state_file_is_a_credentials_file(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(STATE))
    target = load_credentials_file(path)
    assert target.provider_issuer == "http://127.0.0.1:1/openam/oauth2"
    assert target.udr_url == "http://127.0.0.1:2"
    assert target.redirect_uri == "http://127.0.0.1:3/callback"
    assert target.user == User("alice", "a", "ka")
    assert target.other_existing_keystoneid == "kb"
    assert target.client is not None and target.client.client_id == "dashboard"
    assert target.introspection_client is not None
    assert target.introspection_client.client_id == "udr"
    assert target.test_control_url == "http://127.0.0.1:1/openam/__test__"


def test_options_override_the_file() -> None:
    base = target_from_document(STATE)
    target = with_options(
        base,
        {
            "username": "carol",
            "password": "c",
            "keystoneid": "kc",
            "udr_url": "http://u",
        },
    )
    assert target.user == User("carol", "c", "kc")
    assert target.udr_url == "http://u"
    assert target.other_existing_keystoneid == "kb"


def test_issuer_defaults_to_openam_root_realm() -> None:
    target = with_options(
        target_from_document({}), {"openam_url": "https://sso/openam/"}
    )
    assert target.provider_issuer == "https://sso/openam/oauth2"


def test_unreadable_credentials_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(TargetError, match="cannot read credentials file"):
        load_credentials_file(path)


def test_user_without_username_is_refused() -> None:
    with pytest.raises(TargetError, match="a user needs"):
        target_from_document({"users": [{"password": "x"}]})


def test_keystoneid_alone_makes_a_user_for_udr_only_runs() -> None:
    target = with_options(target_from_document({}), {"keystoneid": "ka"})
    assert target.user == User("", "", "ka")


def test_setup_errors_are_not_counted_as_findings() -> None:
    name = "test_step8_own_keystoneid_served"
    outcomes = [Outcome(f"m::{name}", name, "", "error", "ServiceFailedToStart: exit")]
    text = render("t", outcomes)
    assert (
        "Result: 0 finding(s), 0 rule(s) held, 0 not checked, 1 could not run." in text
    )
    assert "## Could not run" in text
    assert "- Observed: ServiceFailedToStart: exit" in text


def test_flat_credentials_file_as_the_readme_shows() -> None:
    target = target_from_document(
        {
            "openam_url": "https://sso/openam",
            "udr_url": "https://udr",
            "users": [
                {"username": "alice", "password": "a", "keystoneid": "ka"},
                {"username": "bob", "password": "b", "keystoneid": "kb"},
            ],
            "client": {"client_id": "dashboard", "client_secret": "d"},
            "introspection_client": {"client_id": "udr", "client_secret": "u"},
            "short_lived_client": {"client_id": "quick", "client_secret": "q"},
            "redirect_uri": "https://dash/callback",
        }
    )
    assert target.provider_issuer == "https://sso/openam/oauth2"
    assert target.user == User("alice", "a", "ka")
    assert target.other_existing_keystoneid == "kb"
    assert target.introspection_client is not None
    assert target.short_lived_client is not None
    assert target.redirect_uri == "https://dash/callback"
