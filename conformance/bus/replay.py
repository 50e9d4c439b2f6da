"""Replaying captured calls: resend a call's raw bytes to a bus and compare the new answer with the captured one.

Captures are what `run --capture DIR` writes (`conformance.bus.capture`: `NNNN-<Rpc>-<status>.request.http` and
its `.response.http`) or the bus double's own journal (`serve --state FILE`, an SQLite file). A call is resent with
its captured headers (Content-Type with any MTOM boundary, SOAPAction, X-SMEV-Sender) and body byte for byte.

    calls = load_captures("reports/capture")                 # a directory, one .http file, a stem, or a state file
    replayed = replay(calls[0], "http://127.0.0.1:8088/smev")  # -> Replayed(call, captured, answer, differences)
    replayed.verdict                                          # reproduced | fails-differently | no-longer-fails | ...

An answer *fails* when it is a SOAP fault, an HTTP status of 400 or more, or no answer at all. The verdict compares
the failure of the captured answer with that of the new one (status, fault name, reason); `differences` also lists
what changed in the answer's structure (element paths, values ignored: ids and times always change). A captured
fault the test armed (the double's `X-SMEV-Double-Forced` header, e.g. a suite's `fault` step) is no failure of the
call: `CapturedCall.forced` names it, and a replay does not arm it again.

A double started to be replayed against (`replay_config`) has no poll freshness window: a captured poll carries
the signed Timestamp of its day, and resending it byte for byte is meant to reproduce what it did then, not to be
refused as the replay it is. A `serve` double keeps its window (`serve --poll-window off` lifts it).
"""

from __future__ import annotations

import re
import sqlite3
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from conformance import xmlsafe
from conformance.bus.service import FORCED_HEADER, BusConfig
from conformance.errors import InputError, UsageError
from conformance.protocol import model as m
from conformance.protocol.operations import detect
from conformance.protocol.reader import parse

if TYPE_CHECKING:
    from conformance.bus.service import BusConfig
    from conformance.crypto import Backend

REQUEST_SUFFIX = ".request.http"
RESPONSE_SUFFIX = ".response.http"
HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding", "user-agent",
              "keep-alive", "expect"}
"""Headers of the captured call that belong to its connection, not to the call: the client sets them anew."""
STRUCTURE_SHOWN = 8
"""At most this many added and removed element paths are listed per call."""


@dataclass(frozen=True)
class HttpMessage:
    """A raw HTTP request or answer: the start line, the headers in order, the body."""

    start: str
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def status(self) -> int | None:
        """The HTTP status of an answer (`HTTP/1.1 500 ...`), None for a request."""
        match = re.match(r"HTTP/\d\.\d\s+(\d{3})", self.start)
        return int(match.group(1)) if match else None


@dataclass(frozen=True)
class CapturedCall:
    name: str
    """`0007-SendResponse-500` for a capture file, `journal #7` for the bus's journal."""
    source: str
    request: HttpMessage
    answer: HttpMessage | None

    @property
    def failed(self) -> bool:
        """The captured answer is an HTTP error (a SOAP fault is HTTP 500), or there is none."""
        return self.answer is None or (self.answer.status or 0) >= 400

    @property
    def forced(self) -> str | None:
        """The fault a test armed for this call (the double's FORCED_HEADER), None when the call caused it."""
        return self.answer.header(FORCED_HEADER) if self.answer is not None else None


@dataclass(frozen=True)
class AnswerSummary:
    """What matters of an answer for a comparison."""

    status: int | None
    fault: str | None = None
    reason: str | None = None
    operation: str | None = None
    structure: frozenset[str] = frozenset()
    error: str | None = None
    """Why there is no usable answer (the connection failed), or why the body is no SMEV envelope."""

    @property
    def fails(self) -> bool:
        return self.status is None or self.status >= 400 or self.fault is not None

    def describe(self) -> str:
        if self.status is None:
            return f"no answer ({self.error})"
        what = f"{self.fault}{'/' + self.reason if self.reason else ''}" if self.fault else \
            (self.operation or f"not an SMEV envelope ({self.error})")
        return f"HTTP {self.status} {what}"


class Verdict(Enum):
    REPRODUCED = "reproduced"
    """Both answers fail the same way (status, fault, reason)."""
    FAILS_DIFFERENTLY = "fails-differently"
    NOW_FAILS = "now-fails"
    """The captured answer succeeded; the new one fails."""
    NO_LONGER_FAILS = "no-longer-fails"
    STILL_SUCCEEDS = "still-succeeds"
    NOT_CAPTURED = "answer-not-captured"
    """Only the request was captured: the new answer is shown, nothing is compared."""
    SKIPPED = "not-replayed"
    """The call could not be replayed (e.g. the double will not queue that delivery again)."""

    @property
    def fails(self) -> bool:
        return self in (Verdict.REPRODUCED, Verdict.FAILS_DIFFERENTLY, Verdict.NOW_FAILS)


@dataclass(frozen=True)
class Replayed:
    call: CapturedCall
    captured: AnswerSummary | None
    answer: AnswerSummary
    differences: tuple[str, ...] = field(default=())

    @property
    def verdict(self) -> Verdict:
        if self.captured is None:
            return Verdict.NOW_FAILS if self.answer.fails else Verdict.NOT_CAPTURED
        before, after = self.captured, self.answer
        if before.fails and after.fails:
            same = (before.status, before.fault, before.reason) == (after.status, after.fault, after.reason)
            return Verdict.REPRODUCED if same else Verdict.FAILS_DIFFERENTLY
        if before.fails:
            return Verdict.NO_LONGER_FAILS
        return Verdict.NOW_FAILS if after.fails else Verdict.STILL_SUCCEEDS


def replay_config(*, signatures: bool = True, backend: Backend | None = None) -> BusConfig:
    """The configuration of a bus double started to replay captured calls against: as `run`'s, with the poll
    freshness window off (captured polls are resent byte for byte, their signed Timestamps as old as the capture)."""

    return BusConfig(signatures=signatures, poll_window=None, backend=backend)


# -- reading captures --------------------------------------------------------------------------------------------------


def parse_http(data: bytes, path: str) -> HttpMessage:
    """Split a raw HTTP message (CRLF or LF line ends); InputError naming the file and line when it is not one."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = data.partition(b"\n\n")
    if not sep:
        raise InputError("not a raw HTTP message: no blank line ends the headers", path=path, line=1,
                         rule="MSG-SOAP-ENVELOPE")
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    start = lines[0].strip()
    if not re.match(r"^(HTTP/\d\.\d \d{3}|[A-Z]+ \S+ HTTP/\d\.\d)", start):
        raise InputError(f"not a raw HTTP message: the first line is {start[:60]!r}, not a request or status line",
                         path=path, line=1, rule="MSG-SOAP-ENVELOPE")
    headers = []
    for number, line in enumerate(lines[1:], start=2):
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise InputError(f"header line {line[:60]!r} has no `Name: value` form", path=path, line=number,
                             rule="MSG-SOAP-ENVELOPE")
        headers.append((name.strip(), value.strip()))
    return HttpMessage(start, tuple(headers), body)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=str(path)) from None


def _capture_file_call(request_path: Path) -> CapturedCall:
    stem = request_path.name[: -len(REQUEST_SUFFIX)]
    request = parse_http(_read(request_path), str(request_path))
    if request.status is not None:
        raise InputError("holds an HTTP answer, not a request", path=str(request_path), line=1,
                         rule="MSG-SOAP-ENVELOPE")
    answer_path = request_path.with_name(stem + RESPONSE_SUFFIX)
    answer = parse_http(_read(answer_path), str(answer_path)) if answer_path.exists() else None
    return CapturedCall(stem, str(request_path), request, answer)


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _journal_calls(path: Path, exchange: int | None) -> list[CapturedCall]:
    """The bus double's journal, read-only (the state file of a running `serve` is left as it is)."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            query = ("SELECT id, request_headers, request_body, http_status, response_headers, response_body "
                     "FROM exchanges")
            rows = db.execute(query + (" WHERE id = ?" if exchange is not None else "") + " ORDER BY id",
                              (exchange,) if exchange is not None else ()).fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"not a bus double state file with a journal: {exc}", path=str(path)) from None
    if exchange is not None and not rows:
        raise UsageError(f"{path}: the journal has no exchange {exchange}")
    calls = []
    for ident, req_headers, req_body, status, resp_headers, resp_body in rows:
        request = HttpMessage("POST /smev HTTP/1.1", _header_lines(req_headers), bytes(req_body))
        answer = HttpMessage(f"HTTP/1.1 {status}", _header_lines(resp_headers), bytes(resp_body))
        calls.append(CapturedCall(f"journal #{ident}", str(path), request, answer))
    return calls


def _header_lines(text: str) -> tuple[tuple[str, str], ...]:
    pairs = (line.partition(":") for line in (text or "").splitlines())
    return tuple((name.strip(), value.strip()) for name, colon, value in pairs if colon)


def holds_many(path: str | Path) -> bool:
    """Whether `path` is a capture of many calls (a directory, a bus state file) rather than one call's file."""
    p = Path(path)
    return p.is_dir() or (p.is_file() and _is_sqlite(p))


def load_captures(path: str | Path, *, exchange: int | None = None) -> list[CapturedCall]:
    """The calls of a capture: a `.request.http` (or `.response.http`) file, their common stem, a directory of
    them (every call, in file-name order), or a bus double state file (`exchange`: one id of its journal)."""
    p = Path(path)
    if p.is_dir():
        requests = sorted(p.glob("*" + REQUEST_SUFFIX))
        if not requests:
            raise InputError(f"no *{REQUEST_SUFFIX} file in this directory (write one with `run --capture DIR`)",
                             path=str(p))
        calls = [_capture_file_call(r) for r in requests]
        if exchange is not None:
            calls = [c for c in calls if c.name.startswith(f"{exchange:04d}-")]
            if not calls:
                raise UsageError(f"{p}: no captured exchange {exchange}")
        return calls
    if p.is_file() and _is_sqlite(p):
        return _journal_calls(p, exchange)
    for suffix in (REQUEST_SUFFIX, RESPONSE_SUFFIX):
        if p.name.endswith(suffix):
            return [_capture_file_call(p.with_name(p.name[: -len(suffix)] + REQUEST_SUFFIX))]
    stem = p.with_name(p.name + REQUEST_SUFFIX)
    if stem.is_file():
        return [_capture_file_call(stem)]
    if p.exists():
        raise InputError(f"not a capture: name a *{REQUEST_SUFFIX} file, a capture directory or a bus state file",
                         path=str(p))
    raise InputError("no such file or directory", path=str(p))


# -- answers -----------------------------------------------------------------------------------------------------------


def summarize(status: int | None, body: bytes, *, error: str | None = None) -> AnswerSummary:
    """Status, fault, reason, the body's operation and its element paths."""
    if status is None:
        return AnswerSummary(None, error=error)
    try:
        tree = xmlsafe.parse_bytes(body, source="answer")
    except xmlsafe.XmlInputError as exc:
        return AnswerSummary(status, error=f"the body is not XML: {exc.detail}")
    structure = frozenset(_paths(tree.getroot()))
    try:
        parsed = parse(tree, source="answer")
    except Exception as exc:  # noqa: BLE001 - an answer that is no SMEV envelope is summarized, not raised
        try:
            operation = detect(tree).operation.value
        except Exception:  # noqa: BLE001
            operation = None
        return AnswerSummary(status, operation=operation, structure=structure, error=str(exc))
    message = parsed.message
    if isinstance(message, m.SoapFault):
        return AnswerSummary(status, fault=message.name.value, reason=message.reason.value if message.reason else None,
                             operation=parsed.operation.value, structure=structure)
    return AnswerSummary(status, operation=parsed.operation.value, structure=structure)


def _paths(root: object) -> list[str]:
    out = []
    for element in root.iter():  # type: ignore[attr-defined]
        if not isinstance(element.tag, str):
            continue
        chain = [etree.QName(a).localname for a in reversed(list(element.iterancestors())) if isinstance(a.tag, str)]
        out.append("/".join([*chain, etree.QName(element).localname]))
    return out


def compare(before: AnswerSummary, after: AnswerSummary) -> tuple[str, ...]:
    """What differs between the captured answer and the new one, one line each."""
    out = []
    if before.status != after.status:
        out.append(f"HTTP status: captured {before.status}, now {after.status if after.status else 'no answer'}")
    if (before.fault, before.reason) != (after.fault, after.reason):
        out.append(f"fault: captured {_fault(before)}, now {_fault(after)}")
    if before.operation != after.operation:
        out.append(f"answer: captured {before.operation or 'none'}, now {after.operation or 'none'}")
    if after.status is not None:
        removed, added = sorted(before.structure - after.structure), sorted(after.structure - before.structure)
        if removed:
            out.append(f"structure: {len(removed)} element path(s) no longer answered: "
                       + ", ".join(removed[:STRUCTURE_SHOWN]) + (" ..." if len(removed) > STRUCTURE_SHOWN else ""))
        if added:
            out.append(f"structure: {len(added)} new element path(s): "
                       + ", ".join(added[:STRUCTURE_SHOWN]) + (" ..." if len(added) > STRUCTURE_SHOWN else ""))
    return tuple(out)


def _fault(summary: AnswerSummary) -> str:
    if summary.fault is None:
        return "none"
    return summary.fault + (f"/{summary.reason}" if summary.reason else "")


# -- resending ---------------------------------------------------------------------------------------------------------


def resend(call: CapturedCall, url: str, *, timeout: float = 30.0) -> AnswerSummary:
    """POST the captured request to `url` (its headers but the connection's, its body byte for byte)."""
    headers = {k: v for k, v in call.request.headers if k.lower() not in HOP_BY_HOP}
    request = urllib.request.Request(url, data=call.request.body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - the URL the user gave
            return summarize(answer.status, answer.read())
    except urllib.error.HTTPError as exc:
        return summarize(exc.code, exc.read())
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return AnswerSummary(None, error=f"{type(exc).__name__}: {reason}")


def replay(call: CapturedCall, url: str, *, timeout: float = 30.0) -> Replayed:
    """Resend `call` to `url` and compare the answer with the captured one."""
    captured = summarize(call.answer.status, call.answer.body) if call.answer is not None else None
    answer = resend(call, url, timeout=timeout)
    return Replayed(call, captured, answer, compare(captured, answer) if captured is not None else ())
