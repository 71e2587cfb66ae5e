"""API keys, shopper tokens and the loopback rule, without a node."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shopsearch import keys
from shopsearch.access import tokens
from shopsearch.cli.serve import is_loopback
from shopsearch.config import load_settings
from shopsearch.errors import ConfigError

SECRET = "s" * 40


@given(st.text(min_size=1, max_size=300))
def test_a_token_carries_any_user_id_and_only_that_one(user_id: str) -> None:
    token = tokens.sign(SECRET, user_id, 60)
    assert tokens.verify(SECRET, token) == user_id
    assert tokens.is_token(token)


@given(st.text(max_size=200))
def test_anything_that_is_not_a_signed_token_is_refused(garbage: str) -> None:
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(SECRET, garbage)


def test_tampered_expired_and_foreign_tokens_are_refused() -> None:
    token = tokens.sign(SECRET, "alice", 60, now=1_000)
    assert tokens.verify(SECRET, token, now=1_059) == "alice"
    with pytest.raises(tokens.InvalidToken, match="expired"):
        tokens.verify(SECRET, token, now=1_061)
    version, _, expires, mac = token.split(".")
    bob = tokens.sign(SECRET, "bob", 60, now=1_000).split(".")[1]
    with pytest.raises(tokens.InvalidToken, match="signature"):
        tokens.verify(SECRET, ".".join([version, bob, expires, mac]), now=1_000)
    with pytest.raises(tokens.InvalidToken, match="signature"):
        tokens.verify(SECRET, ".".join([version, _, str(int(expires) + 9999), mac]), now=1_000)
    with pytest.raises(tokens.InvalidToken, match="signature"):
        tokens.verify("t" * 40, token, now=1_000)


def test_keys_match_by_digest_and_roles_nest() -> None:
    key = keys.new_key()
    digests = {keys.digest(key): "events"}
    assert keys.match(key, digests) == "events"
    assert keys.match(key + "x", digests) is None
    assert keys.covers("events", "search") and keys.covers("admin", "events")
    assert not keys.covers("search", "events") and not keys.covers(None, "search")


def test_auth_settings_are_validated() -> None:
    key = keys.new_key()
    entry = {"name": "web", "role": "search", "sha256": keys.digest(key)}
    assert load_settings(auth={"keys": [entry], "page_key": key}).auth.enabled
    with pytest.raises(ConfigError, match="auth.shopper_secret"):
        load_settings(auth={"shopper_secret": "short"})
    with pytest.raises(ConfigError, match="page_key"):
        load_settings(auth={"keys": [{**entry, "role": "admin"}], "page_key": key})
    with pytest.raises(ConfigError, match="auth.keys.0.sha256"):
        load_settings(auth={"keys": [{**entry, "sha256": key}]})


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.4", False),
        ("no-such-host.invalid", False),
    ],
)
def test_only_loopback_addresses_count_as_local(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serve_refuses_a_public_address_without_keys() -> None:
    from click.testing import CliRunner

    from shopsearch.cli import cli

    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "refusing to serve on 0.0.0.0 without API keys" in result.output


def test_keys_and_tokens_from_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from click.testing import CliRunner

    from shopsearch.cli import cli

    printed = CliRunner().invoke(cli, ["keys", "new", "--role", "events", "--name", "backend"]).output
    key = printed.split("key: ")[1].split()[0]
    entry = json.loads(printed[printed.index("{") :])
    assert entry == {"name": "backend", "role": "events", "sha256": keys.digest(key)}
    monkeypatch.setenv("SHOPSEARCH_AUTH_KEYS", json.dumps([entry]))
    monkeypatch.setenv("SHOPSEARCH_AUTH_SHOPPER_SECRET", SECRET)
    assert load_settings().auth.roles() == {keys.digest(key): "events"}
    token = CliRunner().invoke(cli, ["users", "token", "alice", "--ttl", "120"]).output.strip()
    assert tokens.verify(SECRET, token) == "alice"


def test_the_demo_credentials_load_and_demo_shoppers_stay_on_loopback(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import shlex

    from click.testing import CliRunner

    from shopsearch.access import demo
    from shopsearch.cli import cli

    demo.main()
    for line in capsys.readouterr().out.splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        monkeypatch.setenv(name, shlex.split(value)[0])
    auth = load_settings().auth
    assert auth.enabled and auth.demo_shoppers and auth.page_key is not None
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 1 and "auth.demo_shoppers" in result.output


@pytest.mark.parametrize("token", ["st1.dTE.9999999999.é", "st1.dTE.9999999999." + "ä" * 64, "st1..."])
def test_tokens_with_odd_characters_are_refused_not_a_crash(token: str) -> None:
    with pytest.raises(tokens.InvalidToken):
        tokens.verify(SECRET, token)


def test_query_terms_count_every_cjk_and_emoji_character() -> None:
    from shopsearch.relevance.searcher import SearchRequest

    for q in ("".join(chr(0x20000 + i) for i in range(40)), "😀" * 3 + "".join(chr(0x1F600 + i) for i in range(40))):
        with pytest.raises(ValueError, match="at most 32 distinct words"):
            SearchRequest(q=q)
    assert SearchRequest(q="café crème 8 in").q
