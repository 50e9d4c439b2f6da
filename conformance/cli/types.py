"""List the registered message types ("виды сведений"): the business elements of request and response, the
providers, the consumers the access matrix allows, and whether the type is served in real time.

Examples:
  smev-conformance types
  smev-conformance types --registry conformance/reference/participants/registry.yaml --format json
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from conformance.console import make_console
from conformance.registry.loader import load_registry

if TYPE_CHECKING:
    from conformance.registry.model import MessageTypeSpec, PayloadSpec

HELP = "list the registered message types"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--registry", metavar="FILE", help="message-type registry YAML (default: the shipped one)")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    registry = load_registry(args.registry)
    if args.format == "json":
        data = {"registry": str(registry.source), "types": [_describe(spec) for spec in registry.types]}
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return 0



    console = make_console()
    table = Table(show_header=True, header_style="bold", show_lines=True)
    for column in ("name", "title", "request", "response", "providers", "consumers", "realtime"):
        table.add_column(column, overflow="fold", no_wrap=column in ("name", "realtime"))
    for spec in registry.types:
        table.add_row(Text(spec.name), Text(spec.title), Text(f"{spec.request.root}\n{spec.request.namespace}"),
                      Text(f"{spec.response.root}\n{spec.response.namespace}"), Text(", ".join(spec.providers)),
                      Text(", ".join(spec.consumers)), Text("yes" if spec.realtime else "no"))
    console.print(table)
    console.print(Text(f"{len(registry.types)} type(s) from {registry.source}"))
    return 0


def _describe(spec: MessageTypeSpec) -> dict:
    def payload(p: PayloadSpec) -> dict:
        return {"namespace": p.namespace, "root": p.root, "xsd": str(p.xsd) if p.xsd else None}

    return {"name": spec.name, "title": spec.title, "description": spec.description,
            "request": payload(spec.request), "response": payload(spec.response),
            "providers": list(spec.providers), "consumers": list(spec.consumers), "realtime": spec.realtime,
            "sample": spec.sample}
