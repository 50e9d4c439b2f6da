"""Two oracles of the SMEV transform for the differential tests, both written apart from the product code.

- `JavaOracle`: SMEV's published StAX loop (`oracle/SmevTransformOracle.java`) over the real Woodstox, compiled
  at test time; one JVM serves a whole test session, document by document.
- `model_transform`: an independent pure-Python model of the same loop on `xml.sax` events (with the lexical
  handler, which reports CDATA sections and comments), and its own reading of Woodstox's writer escaping.

Both take the transform's input octets; both return the output bytes or raise `Refused` where SMEV's transform
throws.
"""

from __future__ import annotations

import base64
import glob
import io
import shutil
import subprocess
import xml.sax
import xml.sax.handler
from pathlib import Path

ORACLE_SOURCE = Path(__file__).parent / "oracle" / "SmevTransformOracle.java"
JARS = ("woodstox-core", "stax2-api")
_JAVA_DIR = "/usr/share/java"


class Refused(Exception):
    """The transform throws on this input."""


# -- the real thing ---------------------------------------------------------------------------------------------

def _jar(name: str) -> str | None:
    plain = Path(_JAVA_DIR, f"{name}.jar")
    if plain.exists():
        return str(plain)
    found = sorted(glob.glob(f"{_JAVA_DIR}/{name}-[0-9]*.jar"))
    return found[-1] if found else None


def java_unavailable() -> str | None:
    """Why the Java oracle cannot run here, or None."""
    for tool in ("javac", "java"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (Debian: default-jdk-headless)"
    for name in JARS:
        if _jar(name) is None:
            return f"{_JAVA_DIR}/{name}.jar is missing (Debian: libwoodstox-java)"
    return None


class JavaOracle:
    """The compiled oracle, running in one JVM until `close`."""

    def __init__(self, workdir: Path) -> None:
        classpath = ":".join(str(_jar(name)) for name in JARS)
        subprocess.run(["javac", "-nowarn", "-d", str(workdir), "-cp", classpath, str(ORACLE_SOURCE)], check=True,
                       capture_output=True, timeout=300)
        self.process = subprocess.Popen(["java", "-Xshare:auto", "-cp", f"{workdir}:{classpath}", "SmevTransformOracle"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="ascii")

    def transform(self, data: bytes) -> bytes:
        """The reference's output for these input octets; `Refused` when it throws."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(base64.b64encode(data).decode("ascii") + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        kind, _, rest = line.rstrip("\n").partition(" ")
        if kind == "OK":
            return base64.b64decode(rest)
        if kind == "ERR":
            raise Refused(rest)
        raise RuntimeError(f"the Java oracle answered {line!r}")

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


# -- the independent model --------------------------------------------------------------------------------------

XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"


def _woodstox_text(text: str) -> str:
    """Woodstox's text escaping, read off its writer: texts under 12 characters go char by char and escape `>` only
    first or after `]`; longer texts go in 512-character windows, where `>` is also escaped at a window's start and
    right after any character written as a reference."""
    references = {"&": "&amp;", "<": "&lt;", "\r": "&#xd;"}
    for code in range(0x7F, 0xA0):
        references[chr(code)] = f"&#x{code:x};"
    units = text.encode("utf-16-le", "surrogatepass")  # Java strings: UTF-16 code units
    chars = [units[i:i + 2].decode("utf-16-le", "surrogatepass") for i in range(0, len(units), 2)]
    long = len(chars) >= 12
    result = []
    look_back = True  # does the writer look at `>` here?
    for position, char in enumerate(chars):
        if long and position % 512 == 0:
            look_back = True
        if char in references:
            result.append(references[char])
            look_back = long
            continue
        if char == ">" and (look_back or (position > 0 and chars[position - 1] == "]")):
            result.append("&gt;")
            look_back = long
            continue
        result.append(char)
        look_back = False
    return "".join(result).encode("utf-16-le", "surrogatepass").decode("utf-16-le")


def _woodstox_attribute(value: str) -> str:
    table = {"&": "&amp;", "<": "&lt;", '"': "&quot;", "\t": "&#x9;", "\n": "&#xa;", "\r": "&#xd;"}
    return "".join(table.get(char, char) for char in value)


def _java_trim_is_empty(text: str) -> bool:
    return all(ord(char) <= 0x20 for char in text)


class _Model(xml.sax.handler.ContentHandler, xml.sax.handler.LexicalHandler):
    def __init__(self) -> None:
        super().__init__()
        self.out = io.StringIO()
        self.characters_event: list[str] = []
        self.in_cdata = False
        self.scopes: list[list[tuple[str, str]]] = []  # per open element: the (uri, prefix) pairs it declared
        self.count = 0
        self.names: list[str] = []

    # one characters event ends wherever any other event begins
    def _event_boundary(self) -> None:
        data = "".join(self.characters_event)
        self.characters_event = []
        if _java_trim_is_empty(data):
            return
        self.out.write(f"<![CDATA[{data}]]>" if self.in_cdata else _woodstox_text(data))

    def _lookup(self, uri: str) -> str | None:
        for scope in self.scopes:
            for known, prefix in scope:
                if known == uri:
                    return prefix
        return None

    def _bind(self, uri: str, scope: list[tuple[str, str]]) -> str:
        if not uri:
            raise Refused("Non-default namespace can not map to empty URI")
        if uri == XML_NAMESPACE:
            raise Refused("Trying to bind the xml namespace URI to a prefix other than xml")
        self.count += 1
        scope.append((uri, f"ns{self.count}"))
        return f"ns{self.count}"

    def startElementNS(self, name, qname, attrs) -> None:  # noqa: N802 (SAX API)
        self._event_boundary()
        scope: list[tuple[str, str]] = []
        self.scopes.append(scope)
        uri = name[0] or ""
        prefix = self._lookup(uri) or self._bind(uri, scope)
        element = f"{prefix}:{name[1]}"
        self.names.append(element)
        keyed = []
        for attribute_uri, local in attrs.getNames():
            value = attrs.getValue((attribute_uri, local))
            attribute_uri = attribute_uri or ""
            # qualified first (by URI, then name), unqualified after (by name); Java compares UTF-16 code units
            order = (0, attribute_uri.encode("utf-16-be", "surrogatepass"), local.encode("utf-16-be", "surrogatepass")) \
                if attribute_uri else (1, b"", local.encode("utf-16-be", "surrogatepass"))
            keyed.append((order, attribute_uri, local, value))
        keyed.sort(key=lambda item: item[0])
        written = []
        for _, attribute_uri, local, value in keyed:
            if attribute_uri:
                attribute_prefix = self._lookup(attribute_uri) or self._bind(attribute_uri, scope)
                written.append(f' {attribute_prefix}:{local}="{_woodstox_attribute(value)}"')
            else:
                written.append(f' {local}="{_woodstox_attribute(value)}"')
        declared = "".join(f' xmlns:{p}="{_woodstox_attribute(u)}"' for u, p in scope)
        self.out.write(f"<{element}{declared}{''.join(written)}>")

    def endElementNS(self, name, qname) -> None:  # noqa: N802
        self._event_boundary()
        self.out.write(f"</{self.names.pop()}>")
        self.scopes.pop()

    def characters(self, content: str) -> None:
        self.characters_event.append(content)

    def ignorableWhitespace(self, whitespace: str) -> None:  # noqa: N802
        self.characters_event.append(whitespace)

    def processingInstruction(self, target: str, data: str) -> None:  # noqa: N802
        self._event_boundary()

    def comment(self, content: str) -> None:
        self._event_boundary()

    def startCDATA(self) -> None:  # noqa: N802
        self._event_boundary()
        self.in_cdata = True

    def endCDATA(self) -> None:  # noqa: N802
        self._event_boundary()
        self.in_cdata = False

    def endDocument(self) -> None:  # noqa: N802
        self._event_boundary()


def model_transform(data: bytes) -> bytes:
    """The independent model's output for these input octets (read as UTF-8, as the reference does)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(f"not UTF-8: {exc}") from None
    model = _Model()
    parser = xml.sax.make_parser()
    parser.setFeature(xml.sax.handler.feature_namespaces, True)
    parser.setFeature(xml.sax.handler.feature_external_ges, False)
    parser.setContentHandler(model)
    parser.setProperty(xml.sax.handler.property_lexical_handler, model)
    source = xml.sax.xmlreader.InputSource()
    source.setByteStream(io.BytesIO(data))
    source.setEncoding("UTF-8")
    parser.parse(source)
    return model.out.getvalue().encode("utf-8")
