"""The catalogue's registration and selection, and the engine's pass / skip / fail / warn semantics."""

from __future__ import annotations

import pytest
from lxml import etree
from rules_messages import check, envelope

from conformance.errors import UsageError
from conformance.findings import Rule, Severity, Status
from conformance.protocol.xpaths import xpath_of
from conformance.rules import catalogue
from conformance.rules.catalogue import RegisteredRule
from conformance.rules.context import CheckContext, NotApplicable
from conformance.rules.engine import CheckSettings, check_bytes


@pytest.fixture
def registry(monkeypatch):
    """A private copy of the catalogue, so that test rules do not leak into the real one."""
    catalogue.load()
    monkeypatch.setattr(catalogue, "_REGISTRY", dict(catalogue._REGISTRY))
    return catalogue._REGISTRY


def ids(entries: list[RegisteredRule]) -> set[str]:
    return {e.rule.id for e in entries}


def test_select_by_family_prefix_and_ignore_by_id():
    chosen = ids(catalogue.select(["MSG-ID,time"], ["TIME-EOL"]))
    assert "MSG-ID-UUID1" in chosen and "TIME-ID-STALE" in chosen
    assert "TIME-EOL" not in chosen and "MSG-XML-DTD" not in chosen


def test_prefix_must_end_at_a_dash():
    with pytest.raises(UsageError, match="'MSG-I'"):
        catalogue.select(["MSG-I"])


@pytest.mark.parametrize("option", ["select", "ignore"])
def test_unknown_code_is_a_usage_error_naming_it(option):
    with pytest.raises(UsageError, match="NOPE-X"):
        catalogue.select(**{option: ["MSG", "NOPE-X"]})


def test_no_selection_is_the_whole_catalogue_in_family_order():
    entries = catalogue.select()
    assert ids(entries) == {r.id for r in catalogue.all_rules()}
    families = [e.rule.family for e in entries]
    order = ["MSG", "SIG", "CERT", "FLOW", "TIME"]
    assert families == sorted(families, key=order.index)


def test_every_rule_cites_a_source_and_has_a_title():
    for rule in catalogue.all_rules():
        assert rule.title and rule.source.strip(), rule.id
        assert rule.family in ("MSG", "SIG", "CERT", "FLOW", "TIME")


@pytest.mark.parametrize(("rule_id", "source", "message"), [
    ("msg-lower", "x", "upper case"),
    ("NOPE-RULE", "x", "unknown family"),
    ("MSG-NEW-RULE", "  ", "cite its source"),
])
def test_registration_refuses_bad_rules(registry, rule_id, source, message):
    with pytest.raises(ValueError, match=message):
        catalogue.declare(rule_id, "title", Severity.ERROR, source)


def test_registration_refuses_an_id_taken_by_another_module(registry):
    with pytest.raises(ValueError, match="registered twice"):
        catalogue.declare("MSG-ID-UUID1", "again", Severity.ERROR, "somewhere", module="elsewhere")


def _settings(*entries: RegisteredRule) -> CheckSettings:
    from rules_messages import AT
    return CheckSettings(rules=list(entries), at=AT)


def _entry(rule_id: str, check, severity=Severity.ERROR) -> RegisteredRule:
    return RegisteredRule(Rule(rule_id, "a test rule", severity, "tests"), check, "tests")


def test_one_finding_per_violation_located_by_line_and_xpath():
    def two_ids(ctx: CheckContext):
        for element in ctx.xpath("//t:MessageID | //b:MessagePrimaryContent"):
            yield ctx.violation(element, f"saw {etree.QName(element).localname}")

    result = check_bytes("m.xml", envelope("send_request"), _settings(_entry("MSG-T-TWO", two_ids)))
    assert [f.status for f in result.findings] == [Status.FAIL, Status.FAIL]
    first = result.findings[0].location
    assert first.file == "m.xml" and first.line == 2
    assert first.xpath == "/soap:Envelope/soap:Body/smev:SendRequestRequest/smev:SenderProvidedRequestData/smev:MessageID"


def test_pass_skip_warn_and_a_crashing_check():
    def holds(ctx):
        return []

    def not_here(ctx):
        raise NotApplicable("nothing to judge")

    def warns(ctx):
        yield ctx.violation(None, "hmm")

    def crashes(ctx):
        raise KeyError("boom")

    settings = _settings(_entry("MSG-T-PASS", holds), _entry("MSG-T-SKIP", not_here),
                         _entry("MSG-T-WARN", warns, Severity.WARNING), _entry("MSG-T-CRASH", crashes))
    result = check_bytes("m.xml", envelope("ack"), settings)
    by_id = {f.rule_id: f for f in result.findings}
    assert by_id["MSG-T-PASS"].status is Status.PASS
    assert by_id["MSG-T-SKIP"].status is Status.SKIP and by_id["MSG-T-SKIP"].message == "nothing to judge"
    assert by_id["MSG-T-WARN"].status is Status.WARN and by_id["MSG-T-WARN"].location.line is None
    assert by_id["MSG-T-CRASH"].status is Status.FAIL and "KeyError" in by_id["MSG-T-CRASH"].message
    assert result.operation == "AckRequest" and result.version == "1.3"


def test_unusable_document_fails_its_xml_rule_and_skips_the_rest():
    result = check(b"<a><b></a>")
    statuses = {f.rule_id: f.status for f in result.findings}
    assert statuses["MSG-XML-WELLFORMED"] is Status.FAIL
    assert all(s is Status.SKIP for rid, s in statuses.items() if rid != "MSG-XML-WELLFORMED")
    assert result.operation is None and result.version is None


def test_unusable_document_fails_even_when_its_rule_is_ignored():
    result = check(b"", rules=catalogue.select(["MSG-ID"]))
    assert [(f.rule_id, f.status) for f in result.findings if f.status is Status.FAIL] == [
        ("MSG-XML-EMPTY", Status.FAIL)]


def test_xpath_uses_fixed_prefixes_whatever_the_document_says():
    document = (b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
                b'<x:AckRequest xmlns:x="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.2">'
                b'<y:AckTargetMessage xmlns:y="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/basic/1.2"'
                b'/></x:AckRequest></e:Body></e:Envelope>')
    root = etree.fromstring(document)
    target = root.xpath("//*[local-name()='AckTargetMessage']")[0]
    assert xpath_of(target) == "/soap:Envelope/soap:Body/smev:AckRequest/basic:AckTargetMessage"


def test_xpath_of_payload_is_clark_with_positions_only_among_namesakes():
    root = etree.fromstring(b'<r xmlns="urn:p"><a/><b/><a/></r>')
    assert xpath_of(root[2]) == "/{urn:p}r/{urn:p}a[2]"
    assert xpath_of(root[1]) == "/{urn:p}r/{urn:p}b"


def test_a_defect_of_detection_is_a_finding_not_a_traceback(monkeypatch):
    import conformance.rules.context as context

    def broken(tree, source=None):
        raise RuntimeError("detector bug")

    monkeypatch.setattr(context, "detect", broken)
    result = check(envelope("ack"))
    failing = {f.rule_id: f.message for f in result.findings if f.status is Status.FAIL}
    assert "detector bug" in failing["MSG-SOAP-OPERATION"]


def test_declared_rules_pass_when_the_parser_decides_them_and_live_ones_stay_out(registry):
    catalogue.declare("FLOW-LIVE-ONLY", "reported by a live suite", Severity.ERROR, "tests", module="tests")
    chosen = catalogue.select(["FLOW-LIVE-ONLY", "MSG-XML-DTD"])
    result = check_bytes("m.xml", envelope("ack"), _settings(*chosen))
    statuses = {f.rule_id: f.status for f in result.findings}
    assert statuses == {"MSG-XML-DTD": Status.PASS}  # a static check cannot judge a live rule: it does not list it


def test_lower_case_id_counts_only_when_a_reference_points_at_it():
    from lxml import etree as et

    root = et.fromstring(envelope("send_request"))
    payload = root.xpath("//*[local-name()='MessagePrimaryContent']")[0][0]
    for child in list(payload)[:2]:
        child.set("id", "1")  # business data: harmless
    result = check(et.tostring(root), rules=catalogue.select(["MSG-XMLID-UNIQUE"]))
    assert [f.status for f in result.findings] == [Status.PASS]
    root.xpath("//*[local-name()='Reference']")[0].set("URI", "#1")
    result = check(et.tostring(root), rules=catalogue.select(["MSG-XMLID-UNIQUE"]))
    assert [f.status for f in result.findings] == [Status.FAIL]
