"""Structured logs: one JSON object per line, carrying the ids an operator searches by.

`serve` and `worker` log this way, so a platform's log pipeline can follow one submission (`submission_id`,
`video_id`) across the API, the broker and whichever worker decided it. Ids are passed as `extra` fields and come
out as top-level keys.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# Fields a record may carry as `extra` that belong in the JSON line.
CONTEXT_FIELDS = ("submission_id", "video_id", "worker", "client", "decision", "attempt", "status_code")


class JsonFormatter(logging.Formatter):
    """`{"at", "level", "logger", "message", ...ids}`, one line per record."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(line, default=str)


def use_json_logs(level: int = logging.INFO) -> None:
    """Send every `cameoguard.*` logger's records to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("cameoguard")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
