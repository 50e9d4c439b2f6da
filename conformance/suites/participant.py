"""`participant.yaml`: how a participant plugs into a live run.

```yaml
participant: FNS01                 # its mnemonic: the bus knows it by this name (access matrix, queues)
name: Tax service test stand       # optional, for reports
role: provider                     # provider | consumer | both
version: "1.3"                     # the protocol version it speaks
types:                             # message types (names from the registry) it provides or consumes
  - name: inn-by-passport
    no_data_request: no-data.xml   # optional (provider): a business element asking for data it does not hold
keys:
  certificate: keys/fns01.pem      # the certificate it signs with; the bus verifies its signatures against it
trust:
  ca: [keys/ca.pem]                # what it trusts: the harness signs as the bus with a key chained to these
registry: registry.yaml           # optional: the message-type registry it is registered in (--registry overrides)
bus:
  url: http://127.0.0.1:0/smev     # where it polls; the harness serves the bus double there (port 0: any free port)
start:                             # optional: how the harness starts it (else it is already running)
  command: ["{python}", -m, myparticipant, --bus, "{bus_url}", --config, conf.toml]
  cwd: .
  env: {LOG_LEVEL: debug}
  ready_timeout: 10s
trigger:                           # consumer: how the harness makes it send a request
  command: [python, -m, myparticipant.send, "{type}"]   # {type}, {variant} are substituted
  # or: http: {url: "http://127.0.0.1:9000/send?type={type}", method: POST}
```

Relative paths are relative to the file; `shipped:PATH` names a file shipped with the harness (relative to the
`conformance` package, e.g. `shipped:crypto/testdata/ca.cert.pem`), so a shipped participant file copied anywhere
still works. Files named must exist.

The bus URL names a loopback host and a port (0-65535). Port 0 (or `run --port`) lets the harness pick; the
start command, its `env:` values and the trigger then learn the real address from placeholders that the harness
fills in before it starts anything: `{bus_url}` (the URL it serves), `{bus_port}`, `{python}` (the interpreter the
harness runs on) and `{port:NAME}` (a free port picked for this run, the same wherever NAME is the same, e.g. for
a consumer's trigger endpoint). The trigger's own `{type}` and `{variant}` are filled per request.
"""

from __future__ import annotations

import re
import socket
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from conformance.suites import vocabulary as vocab
from conformance.suites.model import Role
from conformance.yamlnodes import Checker, Node, load_yaml

MNEMONIC_PATTERN = r"[A-Za-z0-9_.-]{1,64}"
SHIPPED_PREFIX = "shipped:"
SHIPPED_ROOT = Path(__file__).resolve().parents[1]
"""`shipped:PATH` resolves here: the installed `conformance` package."""
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class ParticipantType:
    name: str
    line: int
    no_data_request: Path | None = None


@dataclass(frozen=True)
class StartSpec:
    command: tuple[str, ...]
    cwd: Path
    env: dict[str, str]
    ready_timeout: float


@dataclass(frozen=True)
class TriggerSpec:
    command: tuple[str, ...] | None = None
    http_url: str | None = None
    http_method: str = "POST"


@dataclass(frozen=True)
class Participant:
    mnemonic: str
    role: Role
    version: str
    types: tuple[ParticipantType, ...]
    bus_url: str
    path: str
    name: str = ""
    certificate: Path | None = None
    trust: tuple[Path, ...] = ()
    start: StartSpec | None = None
    trigger: TriggerSpec | None = None
    lines: dict[str, int] = field(default_factory=dict)
    registry: Path | None = None
    """The registry the file names (`registry:`); `--registry` overrides it."""

    def plays(self, role: Role) -> bool:
        return self.role is Role.BOTH or self.role is role


def load_participant(path: str | Path) -> Participant:
    """Load and check `participant.yaml`; raises `SchemaErrors` listing every problem with its line."""
    source = str(path)
    base = Path(path).parent
    root = load_yaml(path)
    chk = Checker(source)
    top = chk.mapping(root, required=("participant", "role", "types", "bus"),
                      optional=("name", "version", "registry", "keys", "trust", "start", "trigger"),
                      what="participant file")
    if top is None:
        chk.raise_if_any()
        raise AssertionError("unreachable")
    mnemonic = chk.string(top.get("participant"), pattern=MNEMONIC_PATTERN, what="mnemonic")
    role = chk.string(top.get("role"), choices=[r.value for r in Role])
    version = chk.string(top.get("version"), choices=vocab.VERSIONS) if "version" in top else "1.3"
    name = chk.string(top.get("name")) or ""
    types = _types(chk, top.get("types"), base)
    bus_url = _bus(chk, top.get("bus"))
    registry = _file(chk, top["registry"], base) if "registry" in top else None
    certificate = None
    keys = chk.mapping(top.get("keys"), optional=("certificate",), what="keys mapping")
    if keys and "certificate" in keys:
        certificate = _file(chk, keys["certificate"], base)
    trust: list[Path] = []
    trust_map = chk.mapping(top.get("trust"), optional=("ca",), what="trust mapping")
    if trust_map and "ca" in trust_map:
        ca_node = trust_map["ca"]
        items = [ca_node] if isinstance(ca_node.value, str) else (chk.sequence(ca_node, non_empty=True) or [])
        trust = [p for p in (_file(chk, item, base) for item in items) if p is not None]
    start = _start(chk, top.get("start"), base)
    trigger = _trigger(chk, top.get("trigger"))
    if role in (Role.CONSUMER.value, Role.BOTH.value) and "trigger" not in top:
        chk.error(root, "a consumer names how the harness makes it send a request: add `trigger:` "
                        "(a command or an HTTP call)")
    chk.raise_if_any()
    return Participant(mnemonic=mnemonic or "", role=Role(role), version=version or "1.3", types=tuple(types),
                       bus_url=bus_url or "", path=source, name=name, certificate=certificate, trust=tuple(trust),
                       start=start, trigger=trigger, lines={k: v for k, v in root.key_lines.items()},
                       registry=registry)


def _types(chk: Checker, node: Node | None, base: Path) -> list[ParticipantType]:
    out: list[ParticipantType] = []
    seen: set[str] = set()
    for item in chk.sequence(node, non_empty=True, what="list of message types") or []:
        if isinstance(item.value, str):
            type_name, no_data = item.value, None
        else:
            fields = chk.mapping(item, required=("name",), optional=("no_data_request",), what="message type")
            if fields is None:
                continue
            type_name = chk.string(fields.get("name"))
            no_data = _file(chk, fields["no_data_request"], base) if "no_data_request" in fields else None
        if type_name is None:
            continue
        if type_name in seen:
            chk.error(item, f"type {type_name!r} is listed twice")
        seen.add(type_name)
        out.append(ParticipantType(type_name, item.line, no_data))
    return out


def _bus(chk: Checker, node: Node | None) -> str | None:
    fields = chk.mapping(node, required=("url",), what="bus mapping")
    if not fields:
        return None
    url = chk.string(fields.get("url"), what="URL")
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        chk.error(fields["url"], f"{url!r} is not an http(s) URL with a host")
        return None
    try:
        port = parts.port
    except ValueError:
        chk.error(fields["url"], f"{url!r}: the port is not a TCP port (0-65535; 0: any free port)")
        return None
    if parts.hostname not in LOOPBACK or port is None:
        chk.error(fields["url"], f"{url!r} must name a loopback host ({', '.join(LOOPBACK)}) and a port: the harness "
                                 "serves the bus double there (port 0: any free port)")
        return None
    return url


def _file(chk: Checker, node: Node, base: Path) -> Path | None:
    text = chk.string(node, what="file path")
    if text is None:
        return None
    path = resolve_path(text, base)
    if not path.is_file():
        chk.error(node, f"file {text!r} does not exist (looked for {path})")
        return None
    return path


def resolve_path(text: str, base: Path) -> Path:
    """A path written in a participant file: `shipped:PATH` (the harness's own files), absolute, or relative to
    `base`, the file's directory."""
    if text.startswith(SHIPPED_PREFIX):
        return SHIPPED_ROOT / text[len(SHIPPED_PREFIX):]
    path = Path(text)
    return path if path.is_absolute() else base / path


def _command(chk: Checker, node: Node) -> tuple[str, ...] | None:
    if isinstance(node.value, str):
        chk.error(node, "write the command as a list of arguments (no shell): [program, arg, ...]")
        return None
    args = chk.strings(node, what="command (a list of arguments)")
    if args is not None and not args:
        chk.error(node, "the command is empty")
        return None
    return tuple(args) if args is not None else None


def _start(chk: Checker, node: Node | None, base: Path) -> StartSpec | None:
    fields = chk.mapping(node, required=("command",), optional=("cwd", "env", "ready_timeout"), what="start mapping")
    if not fields:
        return None
    command = _command(chk, fields["command"]) if "command" in fields else None
    cwd = base
    if "cwd" in fields:
        text = chk.string(fields["cwd"], what="directory")
        if text is not None:
            cwd = base / text
            if not cwd.is_dir():
                chk.error(fields["cwd"], f"directory {text!r} does not exist (looked for {cwd})")
    env: dict[str, str] = {}
    if "env" in fields:
        env_node = fields["env"]
        if not isinstance(env_node.value, dict):
            chk.error(env_node, "expected a mapping of environment variables")
        else:
            for key, value in env_node.value.items():
                text = chk.string(value)
                if text is not None:
                    env[key] = text
    timeout = chk.duration(fields["ready_timeout"]) if "ready_timeout" in fields else 10.0
    if command is None:
        return None
    return StartSpec(command, cwd, env, timeout if timeout is not None else 10.0)


def _trigger(chk: Checker, node: Node | None) -> TriggerSpec | None:
    picked = None
    if node is not None:
        picked = chk.one_of_keys(node, ("command", "http"), what="trigger")
    if picked is None:
        return None
    kind, body = picked
    if kind == "command":
        command = _command(chk, body)
        return TriggerSpec(command=command) if command else None
    fields = chk.mapping(body, required=("url",), optional=("method",), what="http trigger")
    if not fields:
        return None
    url = chk.string(fields.get("url"), what="URL")
    method = chk.string(fields["method"], choices=("GET", "POST", "PUT")) if "method" in fields else "POST"
    if url is not None and urlsplit(url).scheme not in ("http", "https"):
        chk.error(fields["url"], f"{url!r} is not an http(s) URL")
        return None
    return TriggerSpec(http_url=url, http_method=method or "POST") if url else None


# -- where a run serves the bus, and the placeholders that tell the participant -------------------------------------

_PLACEHOLDER = re.compile(r"\{(bus_url|bus_port|python|port:[A-Za-z0-9_-]+)\}")


def bus_address(participant: Participant, port: int | None = None) -> tuple[str, int]:
    """Host and port the harness serves the bus double on: the bus URL's, or `port` (`--port`) when given;
    0 means any free port (bind it and read the real one)."""
    parts = urlsplit(participant.bus_url)
    return parts.hostname or "127.0.0.1", parts.port if port is None else port


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` now (the OS picks it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def port_problem(host: str, port: int) -> str | None:
    """Why the harness could not listen on `host:port` (None: it can); port 0 is always fine."""
    if not 0 <= port <= 65535:
        return f"port {port} is not a TCP port (0-65535)"
    if port == 0:
        return None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def bound(participant: Participant, served_url: str) -> Participant:
    """The participant as this run sees it: its bus URL is `served_url` (what the bus double really serves, with the
    path of participant.yaml's URL), and every placeholder of its start command, env and trigger is filled in."""
    served = urlsplit(served_url)
    own = urlsplit(participant.bus_url)
    bus_url = urlunsplit((own.scheme, served.netloc, own.path, own.query, own.fragment))
    ports: dict[str, int] = {}

    def fill(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "bus_url":
                return bus_url
            if name == "bus_port":
                return str(served.port)
            if name == "python":
                return sys.executable
            return str(ports.setdefault(name, free_port()))
        return _PLACEHOLDER.sub(one, text)

    start = participant.start
    if start is not None:
        start = replace(start, command=tuple(fill(a) for a in start.command),
                        env={k: fill(v) for k, v in start.env.items()})
    trigger = participant.trigger
    if trigger is not None:
        trigger = replace(trigger, command=tuple(fill(a) for a in trigger.command) if trigger.command else None,
                          http_url=fill(trigger.http_url) if trigger.http_url else None)
    return replace(participant, bus_url=bus_url, start=start, trigger=trigger)
