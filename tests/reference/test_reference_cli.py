"""`python -m conformance.reference`: the processes a harness starts, against a bus double on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conformance.reference.consumer import Consumer
from conformance.reference.identity import PROVIDER
from conformance.reference.runner import start_provider


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance.reference", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_reference_cli_lists_variants_with_findings():
    done = _run("variants")
    assert done.returncode == 0
    assert "rs-order" in done.stdout and "consumer suite: sends-valid-request" in done.stdout


def test_reference_cli_unknown_variant_exits_2_naming_the_known_ones():
    done = _run("provider", "--bus", "http://127.0.0.1:9/smev", "--variant", "sloppy")
    assert done.returncode == 2 and "'sloppy' is unknown" in done.stderr and "rs-order" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow  # measured: 3 s on a loaded 2-core machine
def test_reference_cli_consumer_once_gets_final_answers(stand, tmp_path):
    with start_provider(stand.settings()):
        done = _run("consumer", "--bus", stand.url, "--type", "sfr-snils-check", "--type", "fns-inn-by-passport",
                    "--state", str(tmp_path / "consumer.sqlite"), "--once", "--timeout", "20")
    assert done.returncode == 0, done.stderr
    assert "sfr-snils-check:" in done.stdout and "-> data SNILSCheckResponse" in done.stdout
    assert "-> data INNByPassportResponse" in done.stdout


@pytest.mark.slow  # measured: 3 s on a loaded 2-core machine
def test_reference_cli_provider_once_answers_what_is_queued_and_stops(stand, tmp_path):
    consumer = Consumer(stand.settings())
    sent = consumer.send("mvd-passport-validity", seed=2)
    done = _run("provider", "--bus", stand.url, "--state", str(tmp_path / "provider.sqlite"), "--once")
    assert done.returncode == 0, done.stderr
    assert consumer.await_final(sent.message_id, 5).kind == "data"
    assert len(stand.exchanges("SendResponse", PROVIDER)) == 1


@pytest.mark.slow  # measured: 4 s on a loaded 2-core machine
def test_reference_cli_crash_after_ack_exits_and_a_restart_answers(stand, tmp_path):
    consumer = Consumer(stand.settings())
    sent = consumer.send("sfr-snils-check", seed=3)
    state = str(tmp_path / "provider.sqlite")
    crashed = _run("provider", "--bus", stand.url, "--state", state, "--once", "--crash-after-ack")
    assert crashed.returncode == 70 and stand.exchanges("SendResponse") == []
    assert _run("provider", "--bus", stand.url, "--state", state, "--once").returncode == 0
    assert consumer.await_final(sent.message_id, 5).kind == "data"


def test_reference_cli_http_trigger_sends_and_the_poller_acks(stand):
    import json
    import time
    import urllib.error
    import urllib.request

    from conformance.reference.identity import CONSUMER
    from conformance.reference.runner import start_consumer

    with start_provider(stand.settings()), start_consumer(stand.settings(), trigger=("127.0.0.1", 0)) as consumer:
        url = consumer.trigger.url
        with urllib.request.urlopen(urllib.request.Request(f"{url}?type=mvd-passport-validity&seed=4",
                                                           method="POST", data=b"")) as answer:
            assert answer.status == 202 and json.loads(answer.read())["type"] == "mvd-passport-validity"
        try:
            urllib.request.urlopen(f"{url}?type=nonsense")
            raise AssertionError("an unknown type must be refused")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404 and "sfr-snils-check" in exc.read().decode()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not stand.exchanges("Ack", CONSUMER):
            time.sleep(0.05)
    assert len(consumer.trigger.sent) == 1 and consumer.trigger.sent[0].message_id is not None
    [ack] = stand.exchanges("Ack", CONSUMER)
    [response] = stand.exchanges("SendResponse", PROVIDER)
    assert stand.sent(ack).message.target.message_id == stand.sent(response).message.data.message_id


def test_reference_cli_consumer_no_wait_only_sends(stand, tmp_path):
    from conformance.reference.identity import CONSUMER

    done = _run("consumer", "--bus", stand.url, "--type", "sfr-snils-check", "--no-wait",
                "--state", str(tmp_path / "c.sqlite"))
    assert done.returncode == 0, done.stderr
    assert "sfr-snils-check: sent " in done.stdout
    assert len(stand.exchanges("SendRequest", CONSUMER)) == 1 and stand.exchanges("GetResponse", CONSUMER) == []
