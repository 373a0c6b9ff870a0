"""A stopping process waits for the stores that write behind, but not for ever."""

import asyncio
import logging

import pytest

from exhibit.storage import capabilities
from exhibit.storage.capabilities import WritesBehind, finish_background_writes
from exhibit.storage.local import LocalDiskStorage

pytestmark = pytest.mark.asyncio


class Behind:
    """A store class whose background writes take ``seconds``."""

    seconds = 0.0
    finished = 0

    @classmethod
    async def finish_writes(cls) -> None:
        await asyncio.sleep(cls.seconds)
        cls.finished += 1


async def test_stores_that_write_behind_are_waited_for() -> None:
    Behind.seconds, Behind.finished = 0.05, 0
    assert isinstance(Behind, WritesBehind)
    assert not isinstance(LocalDiskStorage, WritesBehind)  # its appends are durable on return
    await finish_background_writes([LocalDiskStorage, Behind])
    assert Behind.finished == 1


async def test_writes_that_outlast_the_limit_are_left_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(capabilities, "FINISH_WRITES_SECONDS", 0.1)
    Behind.seconds, Behind.finished = 60.0, 0
    with caplog.at_level(logging.WARNING, logger="exhibit.storage.capabilities"):
        await asyncio.wait_for(finish_background_writes([Behind]), timeout=5)
    assert Behind.finished == 0
    assert "resume" in caplog.text
