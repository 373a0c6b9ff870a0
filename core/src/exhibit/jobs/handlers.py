"""What a job handler is given and what it must be."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from exhibit.platform import Platform


@dataclass(frozen=True)
class JobContext:
    """One run of one job: its id, kind, force (if any), payload and attempt number.

    ``platform`` gives the handler the database, storage and plugins.
    """

    id: int
    kind: str
    force_id: int | None
    payload: dict[str, Any]
    attempt: int
    platform: "Platform"


JobHandler = Callable[[JobContext], Awaitable[None]]
