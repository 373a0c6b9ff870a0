"""uvicorn's logging set-up with one-time links and reasons redacted (``exhibit.log_redaction``).

``uvicorn_log_config`` is uvicorn's own logging set-up with the filter on both of its
handlers, and the root logger (where Litestar's and Exhibit's own records go) sent through
the filtered default handler.
"""

import copy
from typing import Any

from uvicorn.config import LOGGING_CONFIG

from exhibit.log_redaction import RedactUploadLinks


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration with links redacted from every handler.

    Every other logger propagates to the root, which writes through uvicorn's filtered
    ``default`` handler, so no record reaches the output unredacted.
    """
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_upload_links"] = {"()": RedactUploadLinks}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_upload_links")
    config["root"] = {"handlers": ["default"], "level": "INFO"}
    return config
