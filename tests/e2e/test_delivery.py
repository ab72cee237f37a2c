# test_delivery.py: mail accepted over SMTP lands in the right Maildirs,
# byte for byte, with Return-Path, Delivered-To and Received prepended.

import subprocess

import pytest

from sluice_e2e import (ALICE, DEMO, LOOPBACK, SENDER, RawSmtp, crlf_to_lf,
                        header_block, make_message, unique_marker)


def assert_delivered_form(message, sender, recipient, original):
    """The delivered file: LF lines, three trace headers first, every
    original header line in order, and the original body byte for byte.
    (Later scan stages may add headers, so no exact header block.)"""
    assert b"\r" not in message, "delivered file has CR characters"
    assert message.endswith(b"\n")
    lines = message.split(b"\n")
    assert lines[0] == f"Return-Path: <{sender}>".encode(), lines[0]
    assert lines[1] == f"Delivered-To: {recipient}".encode(), lines[1]
    assert lines[2].startswith(b"Received: from "), lines[2]
    head, body = crlf_to_lf(original).split(b"\n\n", 1)
    delivered_head, delivered_body = message.split(b"\n\n", 1)
    delivered_head += b"\n"
    assert delivered_body == body, "message body changed in delivery"
    position = 0
    for line in head.split(b"\n"):
        found = delivered_head.find(b"\n" + line + b"\n", position)
        assert found >= 0, f"header line lost or reordered: {line!r}"
        position = found + 1


def test_smtplib_delivery(sluice_module):
    marker = unique_marker("smtplib")
    original = make_message(marker)
    with sluice_module.smtp() as client:
        assert client.sendmail(SENDER, [DEMO], original) == {}
    message, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    assert_delivered_form(message, SENDER, DEMO, original)


def test_swaks_delivery(sluice_module):
    marker = unique_marker("swaks")
    result = subprocess.run(
        ["swaks", "--server", LOOPBACK, "--port", str(sluice_module.smtp_port),
         "--helo", "client.test", "--from", SENDER, "--to", DEMO,
         "--header", f"Subject: swaks {marker}",
         "--body", f"sent by swaks {marker}"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    message, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    assert message.startswith(f"Return-Path: <{SENDER}>\n".encode())
    assert f"Subject: swaks {marker}".encode() in message
    assert f"sent by swaks {marker}".encode() in message


def test_each_recipient_gets_one_copy(sluice_module):
    marker = unique_marker("multi")
    original = make_message(marker)
    sluice_module.send([DEMO, ALICE], marker=marker, message=original)
    for address in (DEMO, ALICE):
        message, = sluice_module.wait_for_messages(address, 1, marker=marker)
        assert_delivered_form(message, SENDER, address, original)
    sluice_module.barrier(DEMO)
    sluice_module.barrier(ALICE)
    for address in (DEMO, ALICE):
        assert len(sluice_module.messages_with(address, marker)) == 1


def test_same_recipient_twice_gets_one_copy(sluice_module):
    marker = unique_marker("twice")
    with sluice_module.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        client.expect(f"RCPT TO:<{DEMO}>", 250)
        code, _ = client.command(f"RCPT TO:<{DEMO}>")
        assert code in (250, 452), code
        client.expect("DATA", 354)
        client.send(make_message(marker) + b".\r\n")
        assert client.reply()[0] == 250
    sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    sluice_module.barrier()
    assert len(sluice_module.messages_with(DEMO, marker)) == 1


@pytest.mark.parametrize("address", ["demo+news@example.test",
                                     "demo+a.b-c@example.test"])
def test_plus_tag_delivers_to_user(sluice_module, address):
    marker = unique_marker("tag")
    sluice_module.send([address], marker=marker)
    message, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    assert message.startswith(f"Return-Path: <{SENDER}>\n".encode())
    assert b"Delivered-To: " in message.split(b"\n")[1]


def test_address_case_is_ignored_for_delivery(sluice_module):
    marker = unique_marker("case")
    sluice_module.send(["Demo@Example.TEST"], marker=marker)
    sluice_module.wait_for_messages(DEMO, 1, marker=marker)


def test_received_header_names_the_client(sluice_module):
    marker = unique_marker("received")
    sluice_module.send([DEMO], marker=marker)
    message, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    received = header_block(message)[2]
    assert received.startswith("Received: from ")
    assert LOOPBACK in received, received
    assert "client.test" in received, received


def test_null_sender_is_accepted(sluice_module):
    marker = unique_marker("bounce")
    original = make_message(marker, sender="")
    with sluice_module.smtp() as client:
        assert client.sendmail("<>", [DEMO], original) == {}
    message, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    assert message.startswith(b"Return-Path: <>\n")


def test_lf_line_endings(sluice_module):
    marker = unique_marker("lf")
    body = "".join(f"line {i} {marker}\r\n" for i in range(50))
    sluice_module.send([DEMO], marker=marker, body=body)
    message, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    assert b"\r" not in message
    assert message.count(marker.encode() + b"\n") == 50 + 1


def test_8bit_body_survives(sluice_module):
    marker = unique_marker("8bit")
    high = bytes(range(0x80, 0x100))
    body = (f"{marker}\r\n".encode() + "Grüße, naïve café, 日本語\r\n"
            .encode("utf-8") + high + b"\r\n" + high[::-1] + b"\r\n")
    original = make_message(marker, body=body, extra_headers=[
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit"])
    with sluice_module.smtp() as client:
        client.ehlo()
        assert client.has_extn("8bitmime")
        assert client.sendmail(SENDER, [DEMO], original,
                               mail_options=["BODY=8BITMIME"]) == {}
    message, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    assert_delivered_form(message, SENDER, DEMO, original)


def test_smtputf8_address_and_header(sluice_module):
    marker = unique_marker("utf8")
    sender = "jörg@remote.test"
    original = make_message(marker, sender=sender,
                            subject=f"Grüße {marker}")
    with sluice_module.smtp() as client:
        client.ehlo()
        assert client.has_extn("smtputf8")
        assert client.sendmail(sender, [DEMO], original,
                               mail_options=["SMTPUTF8",
                                             "BODY=8BITMIME"]) == {}
    message, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    assert message.startswith(f"Return-Path: <{sender}>\n".encode())
    assert f"Subject: Grüße {marker}".encode() in message


def test_dot_stuffing_round_trip(sluice_module):
    marker = unique_marker("dot")
    body = f".leading dot {marker}\r\n..two dots\r\n.\r\n.\r\nend\r\n"
    original = make_message(marker, body=body)
    sluice_module.send([DEMO], marker=marker, message=original)
    message, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    assert_delivered_form(message, SENDER, DEMO, original)


def test_large_message_under_limit_is_intact(sluice_module):
    marker = unique_marker("large")
    line_count = (sluice_module.max_message_size // 2) // 80
    body = "".join(f"{i:08d} {marker} " + "y" * 30 + "\r\n"
                   for i in range(line_count))
    original = make_message(marker, body=body)
    assert len(original) < sluice_module.max_message_size
    sluice_module.send([DEMO], marker=marker, message=original)
    message, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    assert_delivered_form(message, SENDER, DEMO, original)


def test_starttls_then_send(sluice_module):
    marker = unique_marker("tls")
    original = make_message(marker)
    with sluice_module.smtp() as client:
        client.ehlo()
        assert client.has_extn("starttls")
        code, _ = client.starttls(
            context=sluice_module.client_tls_context())
        assert code == 220
        client.ehlo()
        assert client.sendmail(SENDER, [DEMO], original) == {}
    message, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    assert_delivered_form(message, SENDER, DEMO, original)
