"""The bus double on the shipped registry: every registered type flows end to end with schema-valid fake payloads,
and the access matrix and payload schemas of the registry are enforced."""

from __future__ import annotations

import pytest
from bus_helpers import FakeClock
from lxml import etree

from conformance.bus.client import BusClient
from conformance.bus.registry_view import load_types
from conformance.bus.server import start
from conformance.bus.service import Bus, BusConfig
from conformance.protocol import model as m
from conformance.protocol.codes import FaultName
from conformance.protocol.xmlfragment import XmlFragment
from conformance.registry import Side, load_registry, make_payload

REGISTRY = load_registry()


@pytest.fixture(scope="module")
def bus_url():
    bus = Bus(load_types(), config=BusConfig(signatures=False), clock=FakeClock())
    with start(bus) as running:
        yield running.url


@pytest.mark.parametrize("spec", REGISTRY.types, ids=lambda s: s.name)
def test_every_registered_type_flows_end_to_end(bus_url, spec):
    consumer, provider = BusClient(bus_url, sender=spec.consumers[0]), BusClient(bus_url, sender=spec.providers[0])
    request_element = make_payload(spec, Side.REQUEST, seed=7)
    sent = consumer.send_request(XmlFragment(request_element))
    assert sent.status == 200, sent.body
    request = provider.get_request(spec.request.namespace, spec.request.root).message.message.request
    assert provider.ack(request.data.message_id).status == 200
    answer = XmlFragment(make_payload(spec, Side.RESPONSE, seed=7, request=request_element))
    replied = provider.send_response(request.reply_to, m.BusinessAnswer(content=answer))
    assert replied.status == 200, replied.body
    response = consumer.get_response(spec.response.namespace, spec.response.root).message.message.response
    assert response.data.answer.content == answer and response.original_message_id == request.data.message_id
    assert consumer.ack(response.data.message_id).status == 200


def test_payload_that_breaks_its_xsd_is_invalid_content(bus_url):
    spec = REGISTRY.types[0]
    element = make_payload(spec, Side.REQUEST, seed=1)
    etree.SubElement(element, f"{{{spec.request.namespace}}}NotInTheSchema").text = "x"
    reply = BusClient(bus_url, sender=spec.consumers[0]).send_request(XmlFragment(element))
    assert reply.fault.name is FaultName.INVALID_CONTENT and "MSG-SCHEMA-PAYLOAD" in reply.fault.faultstring


def test_access_matrix_of_the_registry(bus_url):
    spec = REGISTRY.types[0]
    outsider = next(p for t in REGISTRY.types for p in t.providers if p not in spec.consumers)
    reply = BusClient(bus_url, sender=outsider).send_request(XmlFragment(make_payload(spec, Side.REQUEST)))
    assert reply.fault.name is FaultName.ACCESS_DENIED
