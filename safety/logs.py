"""Structured logs: one JSON object per line, carrying the ids an operator searches by.

`serve` and `worker` log this way, so a platform's log pipeline can follow one submission (`submission_id`,
`video_id`) across the API, the broker and whichever worker decided it. Ids are passed as `extra` fields and come
out as top-level keys. With `everything`, the libraries' loggers (uvicorn's access and error logs, Celery's, Python
warnings) come out in the same format, so a process writes one kind of line.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# Fields a record may carry as `extra` that belong in the JSON line.
CONTEXT_FIELDS = (
    "submission_id",
    "video_id",
    "worker",
    "client",
    "decision",
    "attempt",
    "status_code",
    "event",
    "event_id",
    "receipt_id",
    "requeued",
    "seconds",
)
# Libraries that install handlers of their own; with `everything`, their records go to the root's JSON handler.
_LIBRARY_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "py.warnings")


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
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            # The exception's kind and the first line of its message: a driver's message runs over several lines.
            first = (str(error).strip().splitlines() or [""])[0]
            line["error"] = f"{error.__class__.__name__}: {first}" if first else error.__class__.__name__
        return json.dumps(line, default=str)


def use_json_logs(level: int = logging.INFO, *, everything: bool = False) -> None:
    """Send every `cameoguard.*` logger's records to stderr as JSON lines; with `everything`, every other logger's
    too (the root logger's handler)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("cameoguard")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    if everything:
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(level)
        for name in _LIBRARY_LOGGERS:
            library = logging.getLogger(name)
            library.handlers[:] = []
            library.propagate = True
        logging.captureWarnings(True)
