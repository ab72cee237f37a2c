# test_relay_client.py: the relay client (gateway/smtp_client.c) against a
# real server that offers STARTTLS, PIPELINING, SIZE, 8BITMIME and
# SMTPUTF8: sluiced itself, driven through tests/unit/smtp_client_send.
# The protocol corners against Postfix's smtp-sink are in
# tests/unit/test_smtp_client.c.

import os
import re
import subprocess

import pytest

import sluice_e2e
from sluice_e2e import (ALICE, DEMO, SENDER, crlf_to_lf, make_message,
                        unique_marker)

SEND = sluice_e2e.BUILD_DIR / "tests" / "unit" / "smtp_client_send"
UNKNOWN = "nobody@example.test"


@pytest.fixture(scope="module")
def send_binary(sluice_binaries):
    if not os.access(SEND, os.X_OK):
        pytest.fail(f"{SEND} is not built (make builds it)", pytrace=False)
    return SEND


def relay(binary, instance, tmp_path, message, recipients, *, tls="none",
          utf8=False):
    """Sends message with the relay client; returns (exit code, the
    connect line or None, tls flag, {recipient: (code, status, text)},
    stderr)."""
    path = tmp_path / "message.eml"
    path.write_bytes(message)
    argv = [str(binary), "-t", tls, "-T", "10", "-H", "relay.test"]
    if utf8:
        argv.append("-U")
    argv += ["127.0.0.1", str(instance.smtp_port), SENDER, str(path),
             *recipients]
    result = subprocess.run(argv, capture_output=True, timeout=60)
    out = result.stdout.decode("utf-8", "replace")
    log = result.stderr.decode("utf-8", "replace")
    for pattern in sluice_e2e.BAD_LOG_PATTERNS:
        assert not pattern.search(log), log
    connect, tls_flag, replies = None, None, {}
    for line in out.splitlines():
        if line.startswith("connect "):
            connect = line
        elif line.startswith("tls="):
            tls_flag = line[4:]
        elif line.startswith("rcpt "):
            _, address, code, status, text = (line.split(" ", 4) + [""])[:5]
            replies[address] = (int(code), status, text)
    return result.returncode, connect, tls_flag, replies, log


def body_of(message):
    return message.split(b"\n\n", 1)[1]


def received_protocol(delivered):
    match = re.search(rb"\(sluice\) with (\S+) id", delivered)
    assert match, delivered[:600]
    return match.group(1).decode()


def tricky_message(marker):
    """Lines that need dot-stuffing and 8-bit text."""
    body = (f"marker: {marker}\r\n.leading dot\r\n.\r\n..\r\n"
            "caf\u00e9 cr\u00e8me\r\nlast line\r\n").encode("utf-8")
    return make_message(marker, to=DEMO, body=body)


def test_encrypt_delivers_over_starttls(sluice, send_binary, tmp_path):
    marker = unique_marker("relay-tls")
    original = tricky_message(marker)
    code, connect, tls_flag, replies, log = relay(
        send_binary, sluice, tmp_path, original, [DEMO, ALICE, UNKNOWN],
        tls="encrypt")
    assert code == 0, (connect, replies, log)
    assert tls_flag == "yes"
    assert replies[DEMO][:2] == (250, "2.0.0")
    assert replies[ALICE][:2] == (250, "2.0.0")
    # A real rejection among accepted recipients, from the peer.
    assert replies[UNKNOWN][:2] == (550, "5.1.1")
    assert re.search(r"event=relay_connect .*tls=yes tls_version=TLSv1\.[23]",
                     log), log
    sent = re.search(r"event=relay_sent .*", log)
    assert sent, log
    for field in ("recipients=3", "delivered=2", "bounced=1", "tls=yes",
                  "pipelining=yes"):
        assert field in sent.group(0), sent.group(0)
    for address in (DEMO, ALICE):
        delivered, = sluice.wait_for_messages(address, 1, marker=marker)
        assert body_of(delivered) == body_of(crlf_to_lf(original))
        assert received_protocol(delivered) == "ESMTPS"
    assert not sluice.maildir_messages(UNKNOWN)


def test_smtputf8_passed_on(sluice, send_binary, tmp_path):
    marker = unique_marker("relay-utf8")
    original = tricky_message(marker)
    code, _, tls_flag, replies, log = relay(
        send_binary, sluice, tmp_path, original, [DEMO], tls="may",
        utf8=True)
    assert code == 0, log
    assert tls_flag == "yes"
    assert replies[DEMO][0] == 250, replies
    delivered, = sluice.wait_for_messages(DEMO, 1, marker=marker)
    assert received_protocol(delivered) == "UTF8SMTPS"
    assert body_of(delivered) == body_of(crlf_to_lf(original))


def test_only_rejected_recipients(sluice, send_binary, tmp_path):
    """Pipelined DATA after every RCPT failed: the peer's 5xx to DATA is
    read and the session stays in step (relay_sent, not relay_failed)."""
    marker = unique_marker("relay-none")
    code, _, _, replies, log = relay(
        send_binary, sluice, tmp_path, make_message(marker),
        [UNKNOWN, "nobody2@example.test"])
    assert code == 0, log
    assert {r[:2] for r in replies.values()} == {(550, "5.1.1")}, replies
    assert "event=relay_sent" in log and "bounced=2" in log, log


def test_larger_than_peer_size_is_refused_unsent(sluice, send_binary,
                                                 tmp_path):
    marker = unique_marker("relay-big")
    body = b"x" * 998 + b"\r\n"
    count = sluice.max_message_size // len(body) + 2
    code, _, _, replies, log = relay(
        send_binary, sluice, tmp_path,
        make_message(marker, body=body * count), [DEMO])
    assert code == 0, log
    status = replies[DEMO]
    assert status[:2] == (552, "5.3.4"), status
    assert "exceeds size limit" in status[2]


@pytest.mark.sluice_options(tls=False)
def test_may_without_starttls_sends_in_the_clear(sluice, send_binary,
                                                 tmp_path):
    marker = unique_marker("relay-plain")
    original = tricky_message(marker)
    code, _, tls_flag, replies, log = relay(
        send_binary, sluice, tmp_path, original, [DEMO], tls="may")
    assert code == 0, log
    assert tls_flag == "no"
    assert replies[DEMO][0] == 250
    assert re.search(r"event=relay_sent .*tls=no", log), log
    delivered, = sluice.wait_for_messages(DEMO, 1, marker=marker)
    assert received_protocol(delivered) == "ESMTP"
    assert body_of(delivered) == body_of(crlf_to_lf(original))


@pytest.mark.sluice_options(tls=False)
def test_encrypt_without_starttls_defers(sluice, send_binary, tmp_path):
    marker = unique_marker("relay-refused")
    code, connect, tls_flag, replies, log = relay(
        send_binary, sluice, tmp_path, make_message(marker), [DEMO],
        tls="encrypt")
    assert code == 1
    assert tls_flag is None and not replies
    assert connect.startswith("connect 421 4.7.4 TLS is required"), connect
    assert "event=relay_connect_failed" in log
    sluice.barrier(DEMO)
    assert not sluice.messages_with(DEMO, marker)
