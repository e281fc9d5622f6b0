"""Logs as JSON lines (structlog), each with the correlation id of the request
it serves (OP-3).

The gateway gives every request a correlation id (the client's own
`X-Request-Id` / `X-Correlation-Id` when well formed); nameko carries it in
each RPC call's context, the event store writes it beside each event it saves
(services/common/store.py), the relay puts it on the message, and consumers
take it up again: every line a request causes, in any process, carries it.

The code logs through the standard `logging` module, with `extra={...}` for
fields: one formatter here turns every record, ours and the libraries', into
one JSON object per line.

No personal data and no secret reaches a log line, by construction rather than
by scrubbing: nothing logs a request's query string or body (the gateway logs
route templates, gateway/observe.py), an RPC's arguments or an event's payload
(services/common/container.py), and links carry their tokens in the fragment
or a POST body. What remains is exceptions, whose text may echo the values they
were raised on (a NEPH in a unique-key violation's DETAIL, an address in a
refused recipient, an input in `invalid literal for int()`): every exception
that reaches a log line, as the record's `exc_info` or as one of its
arguments, is written as its type, its codes, the schema names it involves and
where it was raised, never its text (`describe_error`).
"""

from __future__ import annotations

import errno
import logging
import re
import sys
import threading
import traceback
import uuid
from contextvars import ContextVar, Token
from pathlib import Path
from typing import Any

import structlog

# The correlation id of what this green thread (or thread) is doing now.
_CURRENT: ContextVar[str | None] = ContextVar("pmc_correlation_id", default=None)

CORRELATION_HEADERS = ("X-Request-Id", "X-Correlation-Id")
RESPONSE_HEADER = "X-Request-Id"
# What a client's own id may look like: a uuid, a trace id, a short token.
# Anything else (too long, spaces, control characters, text) is replaced.
_WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,99}")

# An error code worth showing (PlatformError's `code`): an identifier, no text.
_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
# The project's root, to name where an exception was raised by a short path.
_ROOT = str(Path(__file__).resolve().parents[2]) + "/"
# Libraries' error texts that are constants, so hold no value, and say what an
# operator needs: kept, by exact match, as a code.
_CONSTANT_TEXTS = {
    # psycopg, refusing a text with a NUL character (an event parked for it).
    "PostgreSQL text fields cannot contain NUL (0x00) bytes": "NUL in text",
}


def current() -> str | None:
    """The correlation id of the work in progress, if any."""
    return _CURRENT.get()


def bind(correlation_id: str | None) -> Token:
    """Make `correlation_id` current; `unbind(token)` restores the previous."""
    return _CURRENT.set(correlation_id)


def unbind(token: Token) -> None:
    _CURRENT.reset(token)


def new_id() -> str:
    return str(uuid.uuid4())


def from_client(value: str | None) -> str:
    """The client's id if it is well formed, else a new one."""
    if value and _WELL_FORMED.fullmatch(value):
        return value
    return new_id()


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and those it was raised from or during, outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _codes(exc: BaseException) -> list[str]:
    """What identifies an error without its text: codes and schema names."""
    codes: list[str] = []
    try:
        constant = _CONSTANT_TEXTS.get(str(exc))
    except Exception:  # an exception whose text cannot even be built
        constant = None
    if constant:
        codes.append(constant)
    code = getattr(exc, "code", None)  # PlatformError and its kin
    if isinstance(code, str) and _CODE.fullmatch(code):
        codes.append(code)
    if isinstance(exc, OSError) and exc.errno in errno.errorcode:
        codes.append(errno.errorcode[exc.errno])
    smtp_code = getattr(exc, "smtp_code", None)
    if isinstance(smtp_code, int):
        codes.append(f"smtp {smtp_code}")
    remote = getattr(exc, "exc_type", None)  # nameko's RemoteError
    if isinstance(remote, str) and remote.isidentifier():
        codes.append(f"remote {remote}")
    sqlstate = getattr(exc, "sqlstate", None)  # psycopg's errors
    if isinstance(sqlstate, str):
        codes.append(f"sqlstate {sqlstate}")
        diag = getattr(exc, "diag", None)
        for name in ("table_name", "column_name", "constraint_name"):
            if value := getattr(diag, name, None):
                codes.append(f"{name.split('_')[0]} {value}")
    return codes


def _place(frame: traceback.FrameSummary) -> str:
    filename = frame.filename.removeprefix(_ROOT)
    filename = filename.rpartition("site-packages/")[2]
    return f"{filename}:{frame.lineno} in {frame.name}"


def _one(exc: BaseException) -> str:
    codes = _codes(exc)
    name = type(exc).__qualname__
    return f"{name} [{', '.join(codes)}]" if codes else name


def _ours(frame: traceback.FrameSummary) -> bool:
    return frame.filename.startswith(_ROOT) and "site-packages" not in frame.filename


def _where(chain: list[BaseException]) -> str | None:
    """The deepest frame of the project's own code, from the first cause up;
    else where the outermost was raised."""
    for error in reversed(chain):
        frames = traceback.extract_tb(error.__traceback__)
        ours = [frame for frame in frames if _ours(frame)]
        if ours:
            return _place(ours[-1])
    frames = traceback.extract_tb(chain[0].__traceback__)
    return _place(frames[-1]) if frames else None


def describe_error(exc: BaseException) -> str:
    """An exception as logs, dead letters and parked events keep it: the type
    and codes of it and of what it was raised from, and where it was raised;
    never its text, which may hold the values it was raised on."""
    chain = _chain(exc)
    names: list[str] = []
    for error in chain:
        name = _one(error)
        if not names or names[-1] != name:  # a library re-raising as the same
            names.append(name)
    where = _where(chain)
    return f"{' ← '.join(names)} at {where}" if where else " ← ".join(names)


def format_error(exc: BaseException) -> str:
    """A traceback (frames and code lines) with `describe_error`'s words for
    each exception in place of its text."""
    lines: list[str] = []
    for error in reversed(_chain(exc)):
        if lines:
            lines.append("\nwhile handling or because of it:\n")
        if error.__traceback__ is not None:
            lines.append("Traceback (most recent call last):\n")
            lines.extend(
                traceback.format_list(traceback.extract_tb(error.__traceback__))
            )
        lines.append(_one(error) + "\n")
    return "".join(lines).rstrip("\n")


def _add_correlation_id(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    correlation_id = _CURRENT.get()
    if correlation_id is not None and "correlation_id" not in event:
        event["correlation_id"] = correlation_id
    return event


def _exception(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """The record's exception, by `format_error`: never its text."""
    exc_info = event.pop("exc_info", None)
    if exc_info is True:
        exc_info = sys.exc_info()
    if isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if isinstance(exc_info, tuple) and exc_info[1] is not None:
        event["exception"] = format_error(exc_info[1])
    return event


class _Formatter(structlog.stdlib.ProcessorFormatter):
    """Exceptions among a record's arguments are written by `describe_error`
    (nameko's own `'error handling worker %s: %s', worker_ctx, exc` included)."""

    def format(self, record: logging.LogRecord) -> str:
        args = record.args
        if isinstance(record.msg, BaseException) or (
            isinstance(args, tuple) and any(isinstance(a, BaseException) for a in args)
        ):
            record = logging.makeLogRecord(record.__dict__)
            if isinstance(record.msg, BaseException):
                record.msg = describe_error(record.msg)
            if isinstance(args, tuple):
                record.args = tuple(
                    describe_error(a) if isinstance(a, BaseException) else a
                    for a in args
                )
        return super().format(record)


def _process_name(name: str) -> Any:
    def add(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
        event["process"] = name
        return event

    return add


def formatter(process: str) -> logging.Formatter:
    """One JSON object per record: time, level, logger, message, process,
    correlation id, the record's extra fields and any exception."""
    return _Formatter(
        foreign_pre_chain=[
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            structlog.processors.TimeStamper(fmt="iso", utc=True, key="ts"),
            _process_name(process),
            _add_correlation_id,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _exception,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
    )


def _uncaught(kind: type, exc: BaseException, tb: Any) -> None:
    logging.getLogger("uncaught").critical("uncaught", exc_info=(kind, exc, tb))


def _uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _uncaught(args.exc_type, args.exc_value, args.exc_traceback)


def configure(process: str, level: int = logging.INFO) -> None:
    """Every log record of this process, as JSON lines on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(process))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)  # warnings too, as JSON lines
    # No line shows a thread's or process's name, and under eventlet asking
    # for the current thread costs more than the rest of a record: not asked.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # An exception no one caught would be printed whole, text included: it
    # goes through the formatter instead, like every other.
    sys.excepthook = _uncaught
    threading.excepthook = _uncaught_in_thread
    # fontTools lists at INFO the glyphs of each PDF it subsets: the letters
    # of the names on a receipt or a convocation, and noise besides.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    # nameko's and kombu's DEBUG lines print RPC replies and messages whole:
    # never below INFO, whatever level this process runs at.
    for name in ("nameko", "kombu", "amqp"):
        logging.getLogger(name).setLevel(max(level, logging.INFO))
