"""Per-client limits behind a reverse proxy: X-Forwarded-For counts only from trusted proxies."""

import asyncio
import secrets
from pathlib import Path

import httpx
import pytest

from exhibit.settings import Settings, parse_trusted_proxies
from exhibit.uploads.links import UNKNOWN_LINK_LIMIT
from tests.fixtures.cli import exhibit_serving


def _guess_as(base: str, forwarded_for: str, times: int) -> list[int]:
    """GET ``times`` made-up links claiming to come from ``forwarded_for``; their statuses."""
    headers = {"X-Forwarded-For": forwarded_for}
    with httpx.Client(base_url=base, headers=headers) as client:
        return [client.get(f"/u/{secrets.token_urlsafe(24)}").status_code for _ in range(times)]


def _two_clients_guess(settings: Settings, log_path: Path, **env: str) -> tuple[list[int], int]:
    with exhibit_serving(settings, log_path, **env) as base:
        first = _guess_as(base, "203.0.113.5", UNKNOWN_LINK_LIMIT + 1)
        second = _guess_as(base, "203.0.113.6", 1)
    return first, second[0]


async def test_behind_a_trusted_proxy_each_witness_has_their_own_allowance(
    settings: Settings, tmp_path: Path
) -> None:
    first, second = await asyncio.to_thread(
        _two_clients_guess, settings, tmp_path / "serve.log", EXHIBIT_TRUSTED_PROXIES="127.0.0.1"
    )

    assert first == [404] * UNKNOWN_LINK_LIMIT + [429]
    assert second == 404


async def test_without_trusted_proxies_a_client_cannot_choose_its_address(
    settings: Settings, tmp_path: Path
) -> None:
    first, second = await asyncio.to_thread(_two_clients_guess, settings, tmp_path / "serve.log")

    assert first == [404] * UNKNOWN_LINK_LIMIT + [429]
    assert second == 429


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert parse_trusted_proxies(" 10.0.0.5, 10.1.0.0/16 ,,::1") == (
        "10.0.0.5",
        "10.1.0.0/16",
        "::1",
    )
    with pytest.raises(ValueError, match=r"'proxy\.internal' is not an IP address or network"):
        parse_trusted_proxies("10.0.0.5,proxy.internal")
