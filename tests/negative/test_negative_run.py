"""The whole catalogue against the bus double: every case is answered as expected (xfail cases as known gaps); the
unmutated start of every case is accepted, so the mutation is what the bus refuses; and the runner fails a bus that
answers wrongly."""

from __future__ import annotations

import dataclasses
import threading
from http.server import ThreadingHTTPServer

import pytest
from http_doubles import AcceptEverything
from lxml import etree

from conformance.bus.client import BusClient
from conformance.findings import Status
from conformance.negative.double import start_double
from conformance.negative.loader import load_catalogue
from conformance.negative.messages import facts_for, mutate
from conformance.negative.model import Transport
from conformance.negative.runner import run_against_bus, run_catalogue
from conformance.protocol.operations import Rpc
from conformance.report import render_string

CASES = load_catalogue()
BY_ID = {case.id: case for case in CASES}


@pytest.fixture(scope="module")
def double():
    with start_double() as running:
        yield running


@pytest.fixture(scope="module")
def outcomes(double):
    return {o.case.id: o for o in run_catalogue(CASES, double.url, seed="tests")}


def test_every_case_is_answered_as_expected(outcomes):
    wrong = [o.message for o in outcomes.values() if o.case.xfail is None and o.status is not Status.PASS]
    assert not wrong, "\n".join(wrong)


def test_xfail_cases_are_warnings_and_still_answered_wrongly(outcomes):
    for outcome in outcomes.values():
        if outcome.case.xfail is not None:
            assert outcome.status is Status.WARN, outcome.message
            assert not outcome.answer_matched, f"{outcome.case.id} now passes: remove its xfail mark"


def test_the_answer_names_the_fault_and_reason_seen(outcomes):
    assert "SignatureVerificationFault/CertificateIsExpired (1.3)" in outcomes["NEG-CERT-EXPIRED"].answer
    assert "InvalidMessageIdFormat (1.1)" in outcomes["NEG-SR-ID-UPPER-V11"].answer
    drop = outcomes["NEG-HTTP-DROP-ANSWER"].answer
    assert "IncompleteRead" in drop and "MessageIsAlreadySent" in drop


def _control(case):
    """The case without its mutation: the valid message, signed by its usual caller, plainly posted."""
    setup = ("deliver",) if case.rpc in (Rpc.SEND_RESPONSE, Rpc.ACK) else ()
    return dataclasses.replace(case, id=case.id + "-CONTROL", mutations=(), signer="caller", transport=Transport(),
                               force=None, setup=setup)


def test_the_unmutated_start_of_every_case_is_accepted(double):
    from conformance.negative.runner import deliver_request  # the same setup the cases use

    starts = {}
    for case in CASES:
        starts.setdefault((case.rpc, case.version, case.start.variant, case.start.type), case)
    for case in starts.values():
        control = _control(case)
        facts = facts_for(control, "control")
        if control.setup:
            deliver_request(double.url, control, facts)
        reply = BusClient(double.url).post(mutate(control, facts), soap_action=case.rpc.soap_action)
        assert reply.status == 200, (case.id, reply.body[:600])


def test_a_bus_that_skips_the_rule_catalogue_fails_the_rule_cases():
    from conformance.bus.registry_view import load_types
    from conformance.bus.server import start
    from conformance.bus.service import Bus, BusConfig
    from conformance.negative.identities import bus_credentials

    bus = Bus(load_types(), config=BusConfig(run_rules=False), credentials=bus_credentials())
    chosen = [BY_ID[i] for i in ("NEG-SR-PAYLOAD-SCHEMA", "NEG-SR-TRANSACTION-CODE-LONG", "NEG-SIG-VALUE")]
    with start(bus) as running:
        results = {o.case.id: o for o in run_catalogue(chosen, running.url)}
    assert results["NEG-SR-PAYLOAD-SCHEMA"].status is Status.FAIL
    assert "HTTP 200" in results["NEG-SR-PAYLOAD-SCHEMA"].message
    assert results["NEG-SR-TRANSACTION-CODE-LONG"].status is Status.FAIL
    assert results["NEG-SIG-VALUE"].status is Status.PASS  # signatures are still verified


def test_a_bus_that_accepts_everything_fails_every_fault_case():
    server = ThreadingHTTPServer(("127.0.0.1", 0), AcceptEverything)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/smev"
        chosen = [c for c in CASES if c.expect.fault and not c.setup and not c.force and not c.xfail
                  and not any(s.name == "repeat-message-id" for s in c.mutations)][:25]
        results = run_catalogue(chosen, url)
    finally:
        server.shutdown()
        server.server_close()
    assert len(results) == 25
    assert all(o.status is Status.FAIL for o in results), [o.message for o in results if o.status is not Status.FAIL]


def test_a_stale_xfail_mark_is_reported(double):
    case = dataclasses.replace(BY_ID["NEG-SIG-VALUE"], xfail="pretend the double got this wrong")
    outcome = run_against_bus(case, BusClient(double.url))
    assert outcome.status is Status.WARN and outcome.answer_matched
    assert "remove the mark" in outcome.message


def test_forced_cases_are_skipped_without_the_control_endpoint(double):
    outcome = run_against_bus(BY_ID["NEG-SR-QUOTA"], BusClient(double.url), control=False)
    assert outcome.status is Status.SKIP and "QuoteLimitExceeded" in outcome.message


def test_the_bus_still_serves_after_the_whole_catalogue(double, outcomes):
    from conformance.negative.identities import identity
    from conformance.xmldsig.signer import signing_hook

    consumer = identity("consumer", Rpc.SEND_REQUEST)
    client = BusClient(double.url, sign=signing_hook(consumer.key, consumer.certificate))
    assert client.get_status().status == 200


def test_outcomes_render_as_reports(outcomes):
    results = [o.result() for o in outcomes.values()]
    junit = etree.fromstring(render_string(results, "junit").encode())
    assert len(junit.findall("testsuite")) == len(CASES)
    assert int(junit.get("failures")) == 0
    case = next(s for s in junit.findall("testsuite") if s.get("name").startswith("NEG-SIG-VALUE:"))
    assert case.find("testcase").get("name").startswith("SIG-VALUE ")
    import json

    document = json.loads(render_string(results, "json"))
    assert document["verdict"] == "pass" and document["summary"]["files"] == len(CASES)
    xfailed = sum(1 for case in CASES if case.xfail)
    assert json.loads(render_string(results, "json", fail_on="warn"))["verdict"] == ("fail" if xfailed else "pass")


def test_a_bus_that_hangs_up_fails_the_cases_without_a_crash():
    import socket

    listener = socket.create_server(("127.0.0.1", 0))

    def hang_up():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.close()

    threading.Thread(target=hang_up, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/smev"
        chosen = [BY_ID[i] for i in ("NEG-SIG-VALUE", "NEG-SP-TO-FORGED", "NEG-HTTP-GET", "NEG-SR-ID-REPEATED")]
        results = run_catalogue(chosen, url, control=False)
    finally:
        listener.close()
    assert [o.status for o in results] == [Status.FAIL] * 4
    assert all(o.message for o in results)
