"""Apply a reference's transform chain to the element it points to, as an XMLDSig verifier does.

Data flows as a node set (an element and its subtree) or as octets. Canonicalisations turn a node set into octets
(re-reading octets first when they come in); the enveloped-signature transform removes the signature that holds
the reference; the SMEV transform works on either. A node set left at the end is canonicalised with inclusive
c14n, as XMLDSig prescribes. `SMEV_TRANSFORMS` on a node set takes the direct path of `smev_transform`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from lxml import etree

from conformance.xmldsig import constants as c
from conformance.xmldsig.c14n import exc_c14n, inclusive_c14n
from conformance.xmldsig.escaping import Escaping
from conformance.xmldsig.transform import smev_transform
from conformance.xmlsafe import parse_bytes

MAX_TRANSFORMS = 8
"""Transforms one reference may chain. Each may re-read the whole signed element, so the chain's cost is its length
times the element's size: a reference with 150,000 Transforms over a small block cost 6 s, over a large one it
would never finish. XMLDSig chains in use have 1 to 3 (SMEV's: 2); a longer chain is not computed."""

KNOWN_TRANSFORMS = frozenset({c.EXC_C14N, c.EXC_C14N_WITH_COMMENTS, c.C14N_10, c.C14N_11, c.ENVELOPED,
                              c.SMEV_TRANSFORM})
_DS_SIGNATURE = f"{{{c.DS_NS}}}Signature"


class UnsupportedTransform(ValueError):
    """A transform URI this verifier does not implement, or a chain longer than MAX_TRANSFORMS."""

    def __init__(self, uri: str, message: str | None = None) -> None:
        super().__init__(message or f"unsupported transform {uri[:200]!r}")
        self.uri = uri


def apply_transforms(element: etree._Element, transforms: Sequence[str], *, escaping: Escaping = "woodstox",
                     signature: etree._Element | None = None, enveloped_removes_all: bool = False) -> bytes:
    """The octets a reference to `element` digests under `transforms`.

    `signature` is the ds:Signature holding the reference (what the enveloped transform removes);
    `enveloped_removes_all` makes that transform remove every ds:Signature of the subtree instead, a common
    implementation mistake that the diagnostics reproduce.
    """
    if tuple(transforms) == c.SMEV_TRANSFORMS:
        return smev_transform(element, escaping=escaping)
    if len(transforms) > MAX_TRANSFORMS:
        raise UnsupportedTransform(transforms[MAX_TRANSFORMS], f"a chain of {len(transforms)} transforms (at most "
                                   f"{MAX_TRANSFORMS} are computed: each re-reads the signed element)")
    nodes: etree._Element | None = element
    octets: bytes | None = None
    for uri in transforms:
        if uri == c.ENVELOPED:
            source = nodes if nodes is not None else _reread(octets)
            nodes, octets = _without_signatures(source, signature, enveloped_removes_all), None
        elif uri in (c.EXC_C14N, c.EXC_C14N_WITH_COMMENTS):
            source = nodes if nodes is not None else _reread(octets)
            # A same-document reference (`#Id`) drops comments, so WithComments changes nothing here.
            octets, nodes = exc_c14n(source), None
        elif uri in (c.C14N_10, c.C14N_11):
            source = nodes if nodes is not None else _reread(octets)
            octets, nodes = inclusive_c14n(source), None
        elif uri == c.SMEV_TRANSFORM:
            # A node set reaches a transform that takes octets as its inclusive c14n (XMLDSig 4.3.3.2): comments
            # dropped, and the ancestors' xml:* attributes pulled in, on which SMEV's transform throws.
            octets = smev_transform(inclusive_c14n(nodes) if nodes is not None else octets, escaping=escaping)
            nodes = None
        else:
            raise UnsupportedTransform(uri)
    if nodes is not None:
        return inclusive_c14n(nodes)
    assert octets is not None
    return octets


def _reread(octets: bytes | None) -> etree._Element:
    assert octets is not None
    return parse_bytes(octets, source="<transform output>").getroot()


def _without_signatures(element: etree._Element, signature: etree._Element | None, remove_all: bool) -> etree._Element:
    """A copy of `element` without its enveloped signature (or without every ds:Signature when `remove_all`)."""
    if remove_all:
        targets = [node for node in element.iter(_DS_SIGNATURE)]
    else:
        targets = [signature] if signature is not None and _is_inside(signature, element) else []
    if not targets:
        return element
    paths = [_path_from(element, node) for node in targets]
    clone = copy.deepcopy(element)
    for path in sorted(paths, reverse=True):  # deepest and last first, so earlier paths stay valid
        node = clone
        for index in path:
            node = node[index]
        parent = node.getparent()
        _drop_keeping_tail(parent, node)
    return clone


def _is_inside(node: etree._Element, ancestor: etree._Element) -> bool:
    return any(parent is ancestor for parent in node.iterancestors())


def _path_from(ancestor: etree._Element, node: etree._Element) -> tuple[int, ...]:
    path: list[int] = []
    while node is not ancestor:
        parent = node.getparent()
        path.append(parent.index(node))
        node = parent
    return tuple(reversed(path))


def _drop_keeping_tail(parent: etree._Element, node: etree._Element) -> None:
    tail = node.tail
    previous = node.getprevious()
    parent.remove(node)
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
