# test_smtp_dsn_params.py: the envelope parameters of MAIL and RCPT:
# RFC 3461 DSN (RET, ENVID, NOTIFY, ORCPT) checked and stored in the
# spool envelope, RFC 6531 SMTPUTF8 required for UTF-8 addresses and
# recorded in the envelope, unknown parameters refused with 555.
#
# To read what was stored, alice's Maildir is made undeliverable (a file
# where the directory would be) and messages go through the spool: the
# spool file stays in spool/queue (or spool/failed) for the test to read.

import os
import re
import time

import pytest

from sluice_e2e import (ALICE, DEMO, SENDER, chown_tree, make_message,
                        unique_marker)


def assert_reply(reply, code, enhanced=None):
    got, texts = reply
    assert got == code, f"expected {code}, got {got} {texts}"
    if enhanced is not None:
        assert texts[0].startswith(enhanced), texts


def block_delivery(instance, address):
    """Makes address's Maildir impossible to create."""
    local, domain = address.split("@")
    home = instance.state_dir / "mail" / domain / local
    home.mkdir(parents=True, exist_ok=True)
    (home / "Maildir").write_text("not a directory\n")
    chown_tree(instance.state_dir)


def decode_token(token):
    """A spool envelope token: "+HH" is the byte HH."""
    return re.sub(rb"\+([0-9A-F]{2})",
                  lambda m: bytes([int(m.group(1), 16)]), token)


def spool_envelope(instance, marker, timeout=10.0):
    """The envelope lines of the spool file holding marker, as a list of
    [keyword, decoded tokens...]."""
    deadline = time.monotonic() + timeout
    needle = marker.encode()
    while True:
        for sub in ("queue", "failed"):
            folder = instance.state_dir / "spool" / sub
            for name in sorted(os.listdir(folder)):
                try:
                    data = (folder / name).read_bytes()
                except FileNotFoundError:
                    continue
                if needle not in data:
                    continue
                head = data.split(b"\n\n", 1)[0].split(b"\n")[1:]
                envelope = []
                for line in head:
                    keyword, *tokens = line.split(b" ")
                    envelope.append([keyword.decode("ascii")] +
                                    [decode_token(t) for t in tokens])
                return envelope
        if time.monotonic() >= deadline:
            raise AssertionError(f"no spool file with {marker}\n"
                                 + instance.log_tail())
        time.sleep(0.05)


def lines_named(envelope, keyword):
    return [line[1:] for line in envelope if line[0] == keyword]


@pytest.fixture
def spooled(sluice_factory):
    instance = sluice_factory(settings={"queue.direct_delivery": "no"})
    block_delivery(instance, ALICE)
    return instance


def send_raw(instance, mail, rcpts, marker):
    with instance.raw() as client:
        client.greet()
        client.expect(mail, 250)
        for rcpt in rcpts:
            client.expect(rcpt, 250)
        client.expect("DATA", 354)
        client.send(make_message(marker, to=ALICE) + b".\r\n")
        assert_reply(client.reply(), 250)


def test_dsn_parameters_are_stored_in_the_envelope(spooled):
    marker = unique_marker("dsn")
    send_raw(spooled, f"MAIL FROM:<{SENDER}> RET=HDRS ENVID=QQ+2B314159",
             [f"RCPT TO:<{ALICE}> NOTIFY=SUCCESS,failure "
              f"ORCPT=rfc822;Alice+2Btag@example.test",
              f"RCPT TO:<{ALICE.upper()}> NOTIFY=NEVER"], marker)
    envelope = spool_envelope(spooled, marker)
    assert lines_named(envelope, "dsn") == [[b"hdrs", b"QQ+314159"]]
    rcpt, = lines_named(envelope, "rcpt")
    # The same mailbox twice is one recipient, with the first's DSN.
    assert rcpt == [ALICE.encode(), ALICE.encode(), b"6",
                    b"rfc822;Alice+tag@example.test"]
    assert lines_named(envelope, "utf8") == []


def test_no_dsn_parameters_store_no_dsn_fields(spooled):
    marker = unique_marker("nodsn")
    send_raw(spooled, f"MAIL FROM:<{SENDER}>", [f"RCPT TO:<{ALICE}>"],
             marker)
    envelope = spool_envelope(spooled, marker)
    assert lines_named(envelope, "dsn") == []
    assert lines_named(envelope, "rcpt") == [[ALICE.encode(),
                                              ALICE.encode()]]


def test_ret_full_and_notify_delay(spooled):
    marker = unique_marker("dsn-full")
    send_raw(spooled, f"MAIL FROM:<> RET=full",
             [f"RCPT TO:<{ALICE}> NOTIFY=DELAY"], marker)
    envelope = spool_envelope(spooled, marker)
    assert lines_named(envelope, "dsn") == [[b"full", b"-"]]
    assert lines_named(envelope, "rcpt")[0][2:] == [b"8", b"-"]


def test_smtputf8_transaction_is_recorded(spooled):
    marker = unique_marker("utf8")
    send_raw(spooled, "MAIL FROM:<j\u00f6rg@remote.test> SMTPUTF8",
             [f"RCPT TO:<{ALICE}>"], marker)
    envelope = spool_envelope(spooled, marker)
    assert lines_named(envelope, "utf8") == [[b"1"]]
    assert lines_named(envelope, "from") == [["j\u00f6rg@remote.test"
                                              .encode("utf-8")]]


ENVID_100 = "E" * 100
ORCPT_500 = "rfc822;" + "o" * (500 - len("rfc822;") - len("@x.test")) \
    + "@x.test"


@pytest.mark.parametrize("parameters", [
    f"ENVID={ENVID_100}", "RET=HDRS", "RET=FULL ENVID=a+2Bb",
    "ENVID=+41+42", "BODY=8BITMIME RET=FULL SIZE=1000",
])
def test_valid_mail_parameters_are_250(sluice_module, parameters):
    with sluice_module.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}> {parameters}", 250)


@pytest.mark.parametrize("parameters", [
    "NOTIFY=NEVER", "NOTIFY=SUCCESS,FAILURE,DELAY", "NOTIFY=delay,success",
    f"ORCPT={ORCPT_500}", "ORCPT=rfc822;demo+2Bx@example.test",
    "ORCPT=utf-8;j\\x{F6}rg@example.test NOTIFY=FAILURE",
])
def test_valid_rcpt_parameters_are_250(sluice_module, parameters):
    with sluice_module.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        client.expect(f"RCPT TO:<{DEMO}> {parameters}", 250)


@pytest.mark.parametrize("parameters", [
    "RET=PARTIAL", "RET", "ENVID=" + "E" * 101, "ENVID=a+zz", "ENVID=a+0",
    "ENVID=+00", "ENVID=+0A", "BODY=BINARYMIME", "SMTPUTF8=yes",
    "SIZE=ten",
])
def test_malformed_mail_parameters_are_501_554(sluice_module, parameters):
    with sluice_module.raw() as client:
        client.greet()
        assert_reply(client.command(f"MAIL FROM:<{SENDER}> {parameters}"),
                     501, "5.5.4")
        # The refusal leaves no transaction behind.
        client.expect(f"MAIL FROM:<{SENDER}>", 250)


@pytest.mark.parametrize("parameters", [
    "NOTIFY=NEVER,SUCCESS", "NOTIFY=FAILURE,NEVER", "NOTIFY=SOMETIMES",
    "NOTIFY=SUCCESS,,DELAY", "NOTIFY=SUCCESS,", "NOTIFY",
    "ORCPT=rfc822", "ORCPT=;demo@example.test", "ORCPT=rfc822;",
    "ORCPT=rfc 822;x", "ORCPT=rfc822;a+0Ab@example.test",
    "ORCPT=rfc822;a+zz", "ORCPT=" + ORCPT_500 + "o",
])
def test_malformed_rcpt_parameters_are_501_554(sluice_module, parameters):
    with sluice_module.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        code, texts = client.command(f"RCPT TO:<{DEMO}> {parameters}")
        if " " in parameters.split("=", 1)[-1]:
            # A space ends the value: what follows is another keyword.
            assert code in (501, 555), texts
        else:
            assert_reply((code, texts), 501, "5.5.4")
        # The transaction is still open for a proper recipient.
        client.expect(f"RCPT TO:<{DEMO}>", 250)


@pytest.mark.parametrize("command", [
    f"MAIL FROM:<{SENDER}> FOO=bar", f"MAIL FROM:<{SENDER}> X-SPECIAL",
    f"MAIL FROM:<{SENDER}> AUTH=<>",
])
def test_unknown_mail_parameter_is_555_554(sluice_module, command):
    with sluice_module.raw() as client:
        client.greet()
        assert_reply(client.command(command), 555, "5.5.4")


def test_unknown_rcpt_parameter_is_555_554(sluice_module):
    with sluice_module.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        assert_reply(client.command(f"RCPT TO:<{DEMO}> XRCPTFORWARD=x"),
                     555, "5.5.4")


def test_parameters_after_helo_are_555(sluice_module):
    with sluice_module.raw() as client:
        assert client.reply()[0] == 220
        client.expect("HELO client.test", 250)
        assert_reply(client.command(f"MAIL FROM:<{SENDER}> RET=FULL"),
                     555, "5.5.4")
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        assert_reply(client.command(f"RCPT TO:<{DEMO}> NOTIFY=NEVER"),
                     555, "5.5.4")


# SMTPUTF8 (RFC 6531).

def test_utf8_sender_without_smtputf8_is_553_567(sluice_module):
    with sluice_module.raw() as client:
        client.greet()
        assert_reply(client.command("MAIL FROM:<j\u00f6rg@remote.test>"),
                     553, "5.6.7")


def test_utf8_recipient_without_smtputf8_is_553_567(sluice_module):
    with sluice_module.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        assert_reply(client.command("RCPT TO:<d\u00e9mo@example.test>"),
                     553, "5.6.7")


def test_utf8_addresses_with_smtputf8_are_parsed(sluice_module):
    with sluice_module.raw() as client:
        client.greet()
        client.expect("MAIL FROM:<j\u00f6rg@r\u00e9mote.test> SMTPUTF8", 250)
        # Parsed and judged: no such user here (not a syntax error).
        assert_reply(client.command("RCPT TO:<d\u00e9mo@example.test>"),
                     550, "5.1.1")
        client.expect(f"RCPT TO:<{DEMO}>", 250)


def test_invalid_utf8_is_a_syntax_error(sluice_module):
    with sluice_module.raw() as client:
        client.greet()
        client.send(b"MAIL FROM:<j\xf6rg@remote.test> SMTPUTF8\r\n")
        assert_reply(client.reply(), 501)


def test_smtputf8_message_is_delivered(sluice_module):
    marker = unique_marker("utf8-msg")
    message = make_message(marker, sender="j\u00f6rg@remote.test",
                           subject=f"gr\u00fc\u00dfe {marker}")
    with sluice_module.raw() as client:
        client.greet()
        client.expect("MAIL FROM:<j\u00f6rg@remote.test> SMTPUTF8 "
                      "BODY=8BITMIME", 250)
        client.expect(f"RCPT TO:<{DEMO}>", 250)
        client.expect("DATA", 354)
        client.send(message + b".\r\n")
        assert_reply(client.reply(), 250)
    delivered, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    assert "gr\u00fc\u00dfe".encode("utf-8") in delivered
    assert b"with UTF8SMTP" in delivered
