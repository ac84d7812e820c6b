"""Unit tests of the serve settings: defaults, validation, and the allow-list syntax."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from bordergraph.web.settings import Settings, split_iris


def test_defaults_are_a_public_deployments_starting_point() -> None:
    settings = Settings()
    assert settings.host == "127.0.0.1" and settings.public_url is None
    assert settings.service_allow == (), "SERVICE is refused unless endpoints are listed"
    assert settings.rate > 0 and settings.row_cap > 0 and settings.timeout > 0


@pytest.mark.parametrize(
    "field", ["timeout", "row_cap", "body_cap", "concurrency", "burst", "max_depth", "queue", "rate"]
)
def test_a_negative_limit_is_refused_naming_the_setting(field: str) -> None:
    negative: dict[str, Any] = {field: -1}
    with pytest.raises(ValueError, match=field):
        Settings(**negative)


@pytest.mark.parametrize("field", ["timeout", "row_cap", "body_cap", "concurrency", "burst", "max_depth"])
def test_limits_that_must_be_positive_refuse_zero(field: str) -> None:
    zero: dict[str, Any] = {field: 0}
    with pytest.raises(ValueError, match="must be positive"):
        Settings(**zero)


@pytest.mark.parametrize("field", ["queue", "rate"])
def test_zero_queue_and_zero_rate_are_allowed(field: str) -> None:
    zero: dict[str, Any] = {field: 0}
    assert getattr(Settings(**zero), field) == 0


def test_service_allow_takes_http_endpoints_only() -> None:
    assert Settings(service_allow=("https://query.wikidata.org/sparql",)).service_allow
    with pytest.raises(ValueError, match=re.escape("ftp://example.org/sparql")):
        Settings(service_allow=("ftp://example.org/sparql",))


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "iris"),
    [
        (None, ()),
        ("", ()),
        ("http://a/sparql", ("http://a/sparql",)),
        ("http://a/sparql http://b/sparql", ("http://a/sparql", "http://b/sparql")),
        (" http://a/sparql,http://b/sparql , ", ("http://a/sparql", "http://b/sparql")),
    ],
)
def test_split_iris_reads_spaces_and_commas(value: str | None, iris: tuple[str, ...]) -> None:
    assert split_iris(value) == iris
