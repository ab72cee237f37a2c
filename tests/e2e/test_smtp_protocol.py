# test_smtp_protocol.py: the SMTP server's replies (RFC 5321, Postfix-like
# codes) and its resistance to protocol abuse: overlong lines, bare LF,
# <LF>.<CR><LF> smuggling, pipelining and junk after QUIT.

import smtplib

import pytest

from sluice_e2e import (ALICE, DEMO, SENDER, make_message, unique_marker)


def open_transaction(client, recipients=(DEMO,), sender=SENDER):
    client.expect(f"MAIL FROM:<{sender}>", 250)
    for rcpt in recipients:
        client.expect(f"RCPT TO:<{rcpt}>", 250)
    client.expect("DATA", 354)


def assert_reply(reply, code, enhanced=None):
    got, texts = reply
    assert got == code, f"expected {code}, got {got} {texts}"
    if enhanced is not None:
        assert texts[0].startswith(enhanced), \
            f"expected enhanced status {enhanced}, got {texts}"


# Greeting, EHLO and the simple commands.

def test_banner_is_220(sluice_module):
    with sluice_module.raw() as client:
        code, texts = client.reply()
        assert code == 220, texts


def test_ehlo_lists_extensions(sluice_module):
    with sluice_module.smtp() as client:
        code, _ = client.ehlo()
        assert code == 250
        features = client.esmtp_features
        for name in ("pipelining", "8bitmime", "enhancedstatuscodes",
                     "starttls", "smtputf8"):
            assert name in features, f"EHLO lacks {name}: {features}"
        assert features.get("size", "").strip() == \
            str(sluice_module.max_message_size), features


def test_helo_is_accepted(sluice_module):
    with sluice_module.smtp() as client:
        code, _ = client.helo()
        assert code == 250


def test_noop_rset_vrfy(sluice_module):
    with sluice_module.raw() as client:
        client.greet()
        client.expect("NOOP", 250)
        client.expect("RSET", 250)
        assert client.command(f"VRFY {DEMO}")[0] == 252
        client.expect("QUIT", 221)


def test_quit_replies_221_and_closes(sluice_module):
    with sluice_module.raw() as client:
        client.greet()
        client.expect("QUIT", 221)
        assert client.at_eof()


def test_junk_after_quit_is_not_answered(sluice_module):
    with sluice_module.raw() as client:
        client.greet()
        client.send(f"QUIT\r\nNOOP\r\nMAIL FROM:<{SENDER}>\r\n")
        assert_reply(client.reply(), 221)
        assert client.at_eof(), "server answered commands after QUIT"


def test_starttls_not_offered_again_inside_tls(sluice_module):
    with sluice_module.smtp() as client:
        client.ehlo()
        code, _ = client.starttls(
            context=sluice_module.client_tls_context())
        assert code == 220
        code, _ = client.ehlo()
        assert code == 250
        assert "starttls" not in client.esmtp_features


def test_starttls_not_offered_without_tls_config(sluice_factory):
    plain = sluice_factory(tls=False)
    with plain.smtp() as client:
        client.ehlo()
        assert "starttls" not in client.esmtp_features
        assert "pipelining" in client.esmtp_features


# Recipients and sequencing.

def test_unknown_local_user_is_550_511(sluice_module):
    with sluice_module.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        assert_reply(client.command("RCPT TO:<nobody@example.test>"),
                     550, "5.1.1")
        # The transaction stays open for the next, valid recipient.
        client.expect(f"RCPT TO:<{DEMO}>", 250)


@pytest.mark.parametrize("recipient", [
    "someone@elsewhere.test",
    "demo@example.test.elsewhere.test",
    "postmaster@sub.example.test",
])
def test_relay_to_foreign_domain_is_554_571(sluice_module, recipient):
    with sluice_module.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        assert_reply(client.command(f"RCPT TO:<{recipient}>"), 554, "5.7.1")


@pytest.mark.parametrize("before_data", [[], [f"MAIL FROM:<{SENDER}>"]],
                         ids=["no-mail", "mail-only"])
def test_data_without_rcpt_is_503_551(sluice_module, before_data):
    with sluice_module.raw() as client:
        client.greet()
        for line in before_data:
            client.expect(line, 250)
        assert_reply(client.command("DATA"), 503, "5.5.1")
        client.expect("NOOP", 250)


def test_size_declared_over_limit_is_552_at_mail(sluice_module):
    with sluice_module.raw() as client:
        client.greet()
        too_big = sluice_module.max_message_size + 1
        assert_reply(client.command(f"MAIL FROM:<{SENDER}> SIZE={too_big}"),
                     552)
        client.expect(f"MAIL FROM:<{SENDER}> SIZE=1000", 250)


def test_message_over_limit_is_552_534_and_not_delivered(sluice_module):
    marker = unique_marker("oversize")
    line = (f"{marker} " + "x" * 70 + "\r\n").encode()
    repeat = sluice_module.max_message_size // len(line) + 200
    message = make_message(marker, body=line * repeat)
    assert len(message) > sluice_module.max_message_size
    with sluice_module.raw(timeout=60) as client:
        client.greet()
        open_transaction(client)
        # No SIZE= on MAIL: the limit must hold at the end of DATA too.
        client.send(message + b".\r\n")
        assert_reply(client.reply(), 552, "5.3.4")
    sluice_module.barrier()
    assert sluice_module.messages_with(DEMO, marker) == []


# Line length.

@pytest.mark.parametrize("length", [2100, 5000, 200000])
def test_overlong_command_line_is_500_552_and_session_stays_usable(
        sluice_module, length):
    with sluice_module.raw(timeout=30) as client:
        client.greet()
        line = "MAIL FROM:<" + "a" * length + "@remote.test>"
        assert_reply(client.command(line), 500, "5.5.2")
        client.expect("NOOP", 250)
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        client.expect(f"RCPT TO:<{DEMO}>", 250)


def test_overlong_line_in_pipeline_keeps_sync(sluice_module):
    with sluice_module.raw(timeout=30) as client:
        client.greet()
        client.send("NOOP\r\n" + "RSET " + "b" * 10000 + "\r\nNOOP\r\n")
        assert_reply(client.reply(), 250)
        assert_reply(client.reply(), 500, "5.5.2")
        assert_reply(client.reply(), 250)
        client.expect("QUIT", 221)


# Error limit.

def test_too_many_errors_is_421_470_and_disconnect(sluice_module):
    limit = sluice_module.max_errors
    with sluice_module.raw() as client:
        client.greet()
        codes = []
        for _ in range(limit + 2):
            try:
                code, texts = client.command("XYZZY frobnicate")
            except (EOFError, ConnectionResetError, BrokenPipeError):
                break
            codes.append(code)
            if code == 421:
                assert texts[0].startswith("4.7.0"), texts
                break
        assert codes and codes[-1] == 421, f"replies {codes}"
        # The server may cut off right after the last error or answer the
        # next command with 421; either way exactly `limit` errors first.
        errors = [c for c in codes[:-1] if c >= 500]
        assert len(errors) in (limit - 1, limit), f"replies {codes}"
        assert client.at_eof(), "no disconnect after 421"


# DATA framing: bare LF and smuggling.

def test_bare_lf_rejected_550_552_then_clean_message_works(sluice_module):
    rejected = unique_marker("barelf")
    accepted = unique_marker("clean")
    with sluice_module.raw() as client:
        client.greet()
        open_transaction(client)
        client.send(f"Subject: {rejected}\r\n\r\nfirst line\nsecond "
                    f"line {rejected}\r\n.\r\n")
        assert_reply(client.reply(), 550, "5.5.2")
        open_transaction(client)
        client.send(make_message(accepted) + b".\r\n")
        assert_reply(client.reply(), 250)
        client.expect("QUIT", 221)
    sluice_module.wait_for_messages(DEMO, 1, marker=accepted)
    sluice_module.barrier()
    assert sluice_module.messages_with(DEMO, rejected) == []


SMUGGLING_ENDINGS = {
    "lf-dot-crlf": "\n.\r\n",
    "crlf-dot-lf": "\r\n.\n",
    "lf-dot-lf": "\n.\n",
    "cr-dot-cr": "\r.\r",
    "crlf-dot-cr": "\r\n.\r",
}


@pytest.mark.parametrize("fake_end", SMUGGLING_ENDINGS.values(),
                         ids=SMUGGLING_ENDINGS.keys())
def test_no_smuggled_message(sluice_module, fake_end):
    outer = unique_marker("outer")
    smuggled = unique_marker("smuggled")
    payload = (f"Subject: {outer}\r\n\r\nouter body {outer}{fake_end}"
               f"MAIL FROM:<evil@remote.test>\r\n"
               f"RCPT TO:<{ALICE}>\r\n"
               f"DATA\r\n"
               f"Subject: {smuggled}\r\n\r\nsmuggled body {smuggled}\r\n"
               f".\r\n")
    with sluice_module.raw() as client:
        client.greet()
        open_transaction(client)
        client.send(payload)
        code, texts = client.reply()
        # Only CRLF.CRLF ends DATA: one reply for the whole payload.
        assert code in (250, 550), f"{code} {texts}"
        if code == 550:
            assert texts[0].startswith("5.5.2"), texts
        # Were the fake commands executed, QUIT would get a 250/354 first.
        assert_reply(client.command("QUIT"), 221)
    sluice_module.barrier(ALICE)
    sluice_module.barrier(DEMO)
    assert sluice_module.messages_with(ALICE, smuggled) == []
    outer_copies = sluice_module.messages_with(DEMO, outer)
    assert len(outer_copies) == (1 if code == 250 else 0)
    for message in sluice_module.messages_with(DEMO, smuggled):
        assert outer.encode() in message, "smuggled message delivered alone"
    if code == 250:
        assert smuggled.encode() in outer_copies[0]


def test_dot_inside_line_does_not_end_data(sluice_module):
    marker = unique_marker("dots")
    body = f"a . b\r\n .\r\n. \r\n..\r\nend {marker}\r\n"
    with sluice_module.raw() as client:
        client.greet()
        open_transaction(client)
        client.send(make_message(marker, body=body) + b".\r\n")
        assert_reply(client.reply(), 250)
        client.expect("QUIT", 221)
    message, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    # A leading dot is removed from every line that starts with one
    # (RFC 5321 4.5.2): ". " becomes " " and ".." becomes ".".
    assert message.endswith(f"a . b\n .\n \n.\nend {marker}\n".encode())


# Pipelining.

def test_pipelined_transaction_gets_replies_in_order(sluice_module):
    marker = unique_marker("pipelined")
    with sluice_module.raw() as client:
        client.greet()
        client.send(f"MAIL FROM:<{SENDER}>\r\nRCPT TO:<{DEMO}>\r\n"
                    f"RCPT TO:<{ALICE}>\r\nDATA\r\n")
        assert [c for c, _ in client.replies(4)] == [250, 250, 250, 354]
        client.send(make_message(marker) + b".\r\nQUIT\r\n")
        assert_reply(client.reply(), 250)
        assert_reply(client.reply(), 221)
    sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    sluice_module.wait_for_messages(ALICE, 1, marker=marker)


def test_pipelined_with_rejected_recipient(sluice_module):
    marker = unique_marker("pipelined-partial")
    with sluice_module.raw() as client:
        client.greet()
        client.send(f"MAIL FROM:<{SENDER}>\r\n"
                    f"RCPT TO:<nobody@example.test>\r\n"
                    f"RCPT TO:<someone@elsewhere.test>\r\n"
                    f"RCPT TO:<{DEMO}>\r\nDATA\r\n")
        replies = client.replies(5)
        assert [c for c, _ in replies] == [250, 550, 554, 250, 354], replies
        client.send(make_message(marker) + b".\r\n")
        assert_reply(client.reply(), 250)
    sluice_module.wait_for_messages(DEMO, 1, marker=marker)


def test_many_pipelined_transactions_in_one_write(sluice_module):
    rounds = 10
    with sluice_module.raw() as client:
        client.greet()
        client.send(f"MAIL FROM:<{SENDER}>\r\nRCPT TO:<{DEMO}>\r\nRSET\r\n"
                    * rounds + "QUIT\r\n")
        codes = [c for c, _ in client.replies(3 * rounds + 1)]
        assert codes == [250] * (3 * rounds) + [221]
        assert client.at_eof()


def test_smtplib_partial_acceptance(sluice_module):
    marker = unique_marker("partial")
    with sluice_module.smtp() as client:
        refused = client.sendmail(SENDER, [DEMO, "nobody@example.test"],
                                  make_message(marker))
        assert list(refused) == ["nobody@example.test"]
        assert refused["nobody@example.test"][0] == 550
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail(SENDER, ["nobody@example.test"],
                            make_message(unique_marker()))
    sluice_module.wait_for_messages(DEMO, 1, marker=marker)
