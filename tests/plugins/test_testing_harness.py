"""The helpers ``exhibit.testing`` ships to plugin authors, used as a plugin's tests use them."""

import hashlib
import re
import types
from collections.abc import AsyncIterator, Callable

import msgspec
import pytest

from exhibit.plugins import Secret
from exhibit.plugins.config import InvalidPluginConfig
from exhibit.plugins.context import ForceInfo
from exhibit.plugins.manager import PluginError
from exhibit.testing import (
    DEMO_FORCE,
    byte_stream,
    call_hook,
    item_info,
    load_plugin,
    plugin_config,
    submission_info,
    upload_candidate,
)

SCANNER = """
import msgspec
from exhibit.plugins import Secret, hookimpl

seen = []

class Config(msgspec.Struct, forbid_unknown_fields=True):
    api_key: Secret
    limit: int = 10

@hookimpl
def exhibit_plugin_config():
    return Config

@hookimpl
async def exhibit_validate_upload(force, upload):
    head = b"".join([chunk async for chunk in upload.open()])[:4]
    seen.append((force.slug, upload.sniffed_type, upload.size))
    return None if head == b"%PDF" else f"not a PDF ({upload.sniffed_type})"

@hookimpl
async def exhibit_submission_completed(config, submission, items):
    if config.limit < len(items):
        raise RuntimeError("too many items")
    seen.append((config.api_key.reveal(), submission.reference, len(items)))

@hookimpl
async def exhibit_check_settings(config):
    return [] if config.api_key.reveal() == "good" else ["the API key is refused"]
"""

PDF = b"%PDF-1.7\n" + b"x" * 200_000


def plugin_module(source: str, name: str = "scanner") -> types.ModuleType:
    """A plugin module made from ``source``, as an installed plugin's would be."""
    module = types.ModuleType(f"exhibit_test_{name}")
    exec(compile(source, module.__name__, "exec"), module.__dict__)
    return module


@pytest.fixture
def scanner() -> types.ModuleType:
    return plugin_module(SCANNER)


async def collect(open_stream: Callable[[], AsyncIterator[bytes]]) -> list[bytes]:
    return [chunk async for chunk in open_stream()]


def test_load_plugin_registers_the_plugin_beside_the_builtins(scanner: types.ModuleType) -> None:
    plugins = load_plugin("scanner", scanner)
    assert {"scanner", "local_storage", "outbox"} <= set(plugins.installed)
    assert plugins.implements("scanner", "exhibit_validate_upload")


def test_load_plugin_stops_where_exhibit_would_stop() -> None:
    sync_event = plugin_module(
        "from exhibit.plugins import hookimpl\n"
        "@hookimpl\n"
        "def exhibit_evidence_received(item):\n"
        "    pass\n"
    )
    with pytest.raises(PluginError, match="exhibit_evidence_received must be declared `async def`"):
        load_plugin("sync_event", sync_event)
    misspelt = plugin_module(
        "from exhibit.plugins import hookimpl\n"
        "@hookimpl\n"
        "async def exhibit_validate_uploads(upload):\n"
        "    pass\n"
    )
    with pytest.raises(PluginError, match="did you mean 'exhibit_validate_upload'"):
        load_plugin("misspelt", misspelt)


def test_plugin_config_converts_as_saving_does(scanner: types.ModuleType) -> None:
    plugins = load_plugin("scanner", scanner)
    config = plugin_config(plugins, "scanner", {"api_key": {"value": "k-123"}, "limit": 3})
    assert isinstance(config.api_key, Secret)  # type: ignore[attr-defined]
    assert config.api_key.reveal() == "k-123"  # type: ignore[attr-defined]
    assert "k-123" not in repr(config)
    assert config.limit == 3  # type: ignore[attr-defined]


def test_plugin_config_refuses_what_saving_refuses(scanner: types.ModuleType) -> None:
    plugins = load_plugin("scanner", scanner)
    unknown = re.escape("plugin 'scanner': Object contains unknown field `limt`")
    with pytest.raises(InvalidPluginConfig, match=unknown):
        plugin_config(plugins, "scanner", {"api_key": {"value": "k"}, "limt": 3})
    with pytest.raises(InvalidPluginConfig, match="Expected `int`, got `str`"):
        plugin_config(plugins, "scanner", {"api_key": {"value": "k"}, "limit": "3"})
    with pytest.raises(InvalidPluginConfig, match="must start with EXHIBIT_FORCE_DEMO_"):
        plugin_config(plugins, "scanner", {"api_key": {"env": "EXHIBIT_SECRET_KEY"}})
    kent = ForceInfo(id=2, slug="kent", name="Kent")
    config = plugin_config(plugins, "scanner", {"api_key": {"env": "EXHIBIT_FORCE_KENT_KEY"}}, kent)
    assert config.api_key.stored_form() == {"env": "EXHIBIT_FORCE_KENT_KEY"}  # type: ignore[attr-defined]


def test_plugin_config_needs_a_declared_configuration() -> None:
    bare = plugin_module("")
    with pytest.raises(LookupError, match="declares no configuration"):
        plugin_config(load_plugin("bare", bare), "bare", {})


async def test_call_hook_calls_a_veto_hook_with_the_arguments_it_takes(
    scanner: types.ModuleType,
) -> None:
    plugins = load_plugin("scanner", scanner)
    config = plugin_config(plugins, "scanner", {"api_key": {"value": "k"}})
    hook = "exhibit_validate_upload"
    assert await call_hook(plugins, "scanner", hook, config, upload=upload_candidate(PDF)) is None
    refused = await call_hook(
        plugins, "scanner", hook, config, upload=upload_candidate(b"GIF89a" + b"\0" * 50)
    )
    assert refused == "not a PDF (image/gif)"
    assert scanner.seen == [("demo", "application/pdf", len(PDF)), ("demo", "image/gif", 56)]


async def test_call_hook_lets_a_plugins_exception_reach_the_test(
    scanner: types.ModuleType,
) -> None:
    plugins = load_plugin("scanner", scanner)
    config = plugin_config(plugins, "scanner", {"api_key": {"value": "k"}, "limit": 1})
    with pytest.raises(RuntimeError, match="too many items"):
        await call_hook(
            plugins,
            "scanner",
            "exhibit_submission_completed",
            config,
            submission=submission_info(),
            items=[item_info(id=1), item_info(id=2)],
        )
    await call_hook(
        plugins,
        "scanner",
        "exhibit_submission_completed",
        config,
        force=ForceInfo(id=2, slug="kent", name="Kent"),
        submission=submission_info(reference="EXH-AAAA-BBBB"),
        items=[item_info()],
    )
    assert scanner.seen == [("k", "EXH-AAAA-BBBB", 1)]


async def test_call_hook_runs_a_settings_check(scanner: types.ModuleType) -> None:
    plugins = load_plugin("scanner", scanner)
    hook = "exhibit_check_settings"
    good = plugin_config(plugins, "scanner", {"api_key": {"value": "good"}})
    bad = plugin_config(plugins, "scanner", {"api_key": {"value": "bad"}})
    assert await call_hook(plugins, "scanner", hook, good) == []
    assert await call_hook(plugins, "scanner", hook, bad) == ["the API key is refused"]


async def test_call_hook_refuses_hooks_it_cannot_call(scanner: types.ModuleType) -> None:
    plugins = load_plugin("scanner", scanner)
    with pytest.raises(ValueError, match="not an event, veto or check hook"):
        await call_hook(plugins, "scanner", "exhibit_plugin_config", None)
    with pytest.raises(LookupError, match="does not implement exhibit_item_accepted"):
        await call_hook(plugins, "scanner", "exhibit_item_accepted", None, item=item_info())


async def test_upload_candidate_is_what_a_validator_sees() -> None:
    candidate = upload_candidate(PDF, filename="statement.pdf", chunk_size=65_536)
    assert (candidate.filename, candidate.sniffed_type, candidate.size) == (
        "statement.pdf",
        "application/pdf",
        len(PDF),
    )
    assert candidate.sha256 == hashlib.sha256(PDF).hexdigest()
    first, second = await collect(candidate.open), await collect(candidate.open)
    assert first == second  # each call streams afresh
    assert [len(chunk) for chunk in first] == [65_536, 65_536, 65_536, len(PDF) - 3 * 65_536]
    assert b"".join(first) == PDF


async def test_byte_stream_opens_an_original_for_a_processor() -> None:
    opener = byte_stream(b"abcdefg", chunk_size=3)
    assert await collect(opener) == [b"abc", b"def", b"g"]
    assert await collect(byte_stream(b"")) == []


def test_snapshots_follow_the_data_and_take_overrides() -> None:
    item = item_info(PDF, id=7, review_state="accepted", exhibit_reference="AB/1")
    assert (item.id, item.size, item.sniffed_type) == (7, len(PDF), "application/pdf")
    assert item.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (item.review_state, item.exhibit_reference) == ("accepted", "AB/1")
    assert submission_info(id=3).id == 3
    assert DEMO_FORCE.slug == "demo"
    with pytest.raises(TypeError):
        item_info(colour="red")
    assert isinstance(submission_info(), msgspec.Struct)
