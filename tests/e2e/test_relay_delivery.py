# test_relay_delivery.py: the whole relay path of issue #12 with real
# peers: SMTP client -> sluiced -> queue -> relay client -> downstream.
# A private Postfix as the mailbox server: byte-exact delivery (after the
# trace fields) of ASCII, 8-bit, SMTPUTF8, dot-stuffed, large and BDAT
# mail, null senders, several recipients in one transaction, a recipient
# Postfix refuses (a DSN), and RCPT probes (relay.verify = probe).
# Postfix's smtp-sink: 4xx at each stage, 421 and hang-ups, then 2xx
# (retried and delivered); 5xx and SMTPUTF8 not offered (RFC 3464 DSNs in
# the local sender's Maildir); NOTIFY=SUCCESS passed on or reported
# "relayed"; LMTP with a reply per recipient; relay.tls = encrypt without
# STARTTLS (held back until relay.tls = may) and with it (another
# sluiced); and deferred relay mail that survives a restart of sluiced.
#
# Open-relay refusals and per-client limits are in test_open_relay.py and
# test_client_limits.py.

import email
import email.policy
import re
import signal
import time

import pytest

import smtp_sink
from conftest import _Factory
from postfix_instance import PostfixInstance, unavailable
from smtp_sink import SmtpSink, strip_fields
from sluice_e2e import (DEMO, LOOPBACK, SENDER, crlf_to_lf, free_ports,
                        make_message, unique_marker)
from test_queue import dsns, list_lines, report_parts, wait_until

DOWNSTREAM = "downstream.test"
BOB = f"bob@{DOWNSTREAM}"
CAROL = f"carol@{DOWNSTREAM}"
UTF8_USER = f"j\u00f6rg@{DOWNSTREAM}"
UNKNOWN = f"nobody@{DOWNSTREAM}"
FAST_RETRY = {"queue.retry_min": "1s", "queue.retry_max": "1s"}

needs_postfix = pytest.mark.skipif(unavailable() is not None,
                                   reason=str(unavailable()))
needs_sink = pytest.mark.skipif(not smtp_sink.available(),
                                reason="Postfix's smtp-sink is not installed")


def log_lines(instance, pattern):
    return re.findall(pattern, instance.log_text())


# Parsing delivered files.

def assert_sluice_received(raw, protocol):
    text = raw.decode("utf-8", "replace")
    assert text.startswith("Received: from client.test "), text
    assert re.search(rf"by mx\.sluice\.test \(sluice\) with {protocol} id",
                     text), text


def postfix_delivered(message, sender, recipient, protocol):
    """Checks what Postfix and sluiced put in front of the original:
    Return-Path, X-Original-To, Delivered-To, Postfix's Received (from
    sluiced, with protocol) and sluiced's own Received; returns the
    rest."""
    fields, rest = strip_fields(message, 5)
    names = [name for name, _ in fields]
    assert names == ["Return-Path", "X-Original-To", "Delivered-To",
                     "Received", "Received"], message[:800]
    assert fields[0][1] == f"Return-Path: <{sender}>".encode()
    assert fields[1][1] == f"X-Original-To: {recipient}".encode()
    assert fields[2][1] == f"Delivered-To: {recipient}".encode()
    postfix = fields[3][1].decode("utf-8", "replace")
    assert re.search(r"from mx\.sluice\.test \(\S+ \[127\.0\.0\.1\]\)",
                     postfix), postfix
    assert f"by mailbox.{DOWNSTREAM} (Postfix) with {protocol} id" \
        in postfix, postfix
    # The tests speak to sluiced as sluiced speaks to Postfix.
    assert_sluice_received(fields[4][1], protocol)
    return rest


# A real Postfix as the organization's mailbox server.

@pytest.fixture(scope="module")
def postfix():
    why = unavailable()
    if why is not None:
        pytest.skip(why)
    instance = PostfixInstance([DOWNSTREAM], [BOB, CAROL, UTF8_USER])
    with instance:
        yield instance


@pytest.fixture(scope="module")
def relay_factory(sluice_binaries, tls_material):
    factory = _Factory(tls_material)
    yield factory
    factory.finish()


@pytest.fixture(scope="module")
def to_postfix(postfix, relay_factory):
    """sluiced relaying downstream.test to Postfix, accepting all."""
    return relay_factory(settings={
        "relay.domains": DOWNSTREAM,
        "relay.host": f"[{LOOPBACK}]:{postfix.port}",
        "relay.verify": "accept",
    })


def new_messages(postfix, address, before, timeout=15.0):
    """Waits for files in address's Maildir beyond the `before` ones."""
    deadline = time.monotonic() + timeout
    while True:
        messages = postfix.maildir_messages(address, count=0, timeout=0)
        fresh = [m for m in messages if m not in before]
        if fresh or time.monotonic() > deadline:
            return fresh
        time.sleep(0.05)


def relay_one(instance, postfix, recipients, message, *, sender=SENDER,
              options=(), protocol="ESMTP", also=()):
    """Sends message to recipients (and the `also` ones, not checked)
    through sluiced; returns the part of each Postfix copy after the
    trace fields, by recipient."""
    before = {r: postfix.maildir_messages(r, count=0, timeout=0)
              for r in recipients}
    with instance.smtp() as client:
        refused = client.sendmail(sender, list(recipients) + list(also),
                                  message, mail_options=list(options))
    assert refused == {}
    got = {}
    for recipient in recipients:
        fresh = new_messages(postfix, recipient, before[recipient])
        assert len(fresh) == 1, (fresh, postfix.log()[-3000:],
                                 instance.log_tail())
        got[recipient] = postfix_delivered(fresh[0], sender, recipient,
                                           protocol)
    return got


@needs_postfix
def test_plain_ascii_arrives_byte_exact(to_postfix, postfix):
    marker = unique_marker("plain")
    sent = make_message(marker, to=BOB, extra_headers=(
        "X-Folded: first part", "\tsecond part",
        "MIME-Version: 1.0", "Content-Type: text/plain; charset=us-ascii"))
    got = relay_one(to_postfix, postfix, [BOB], sent)
    assert got[BOB] == crlf_to_lf(sent)


@needs_postfix
def test_8bit_body_arrives_byte_exact(to_postfix, postfix):
    marker = unique_marker("8bit")
    body = (f"marker: {marker}\r\nGr\u00fc\u00dfe aus K\u00f6ln, "
            "\u00e7a va? \u20ac 100\r\n").encode("utf-8") + \
        b"latin-1 bytes: \xe9\xe8\xff\r\n"
    sent = make_message(marker, to=BOB, body=body, extra_headers=(
        "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit"))
    got = relay_one(to_postfix, postfix, [BOB], sent,
                    options=["BODY=8BITMIME"])
    assert got[BOB] == crlf_to_lf(sent)


@needs_postfix
def test_smtputf8_arrives_byte_exact(to_postfix, postfix):
    marker = unique_marker("utf8")
    sender = "s\u00e9nder@remote.test"
    sent = make_message(marker, sender=sender, to=UTF8_USER,
                        subject=f"Gr\u00fc\u00dfe {marker} \u2603",
                        body=f"marker: {marker}\r\n\u00fcber\r\n")
    got = relay_one(to_postfix, postfix, [UTF8_USER], sent, sender=sender,
                    options=["SMTPUTF8", "BODY=8BITMIME"],
                    protocol="UTF8SMTP")
    assert got[UTF8_USER] == crlf_to_lf(sent)
    message = email.message_from_bytes(got[UTF8_USER],
                                       policy=email.policy.SMTPUTF8)
    assert message["Subject"] == f"Gr\u00fc\u00dfe {marker} \u2603"


@needs_postfix
def test_dot_lines_survive_both_hops(to_postfix, postfix):
    marker = unique_marker("dots")
    body = (f"marker: {marker}\r\n.leading dot\r\n.\r\n..\r\n...three\r\n"
            " .space first\r\n.\r\nlast line\r\n")
    sent = make_message(marker, to=BOB, body=body)
    got = relay_one(to_postfix, postfix, [BOB], sent)
    assert got[BOB] == crlf_to_lf(sent)


@needs_postfix
def test_several_recipients_one_transaction(to_postfix, postfix):
    marker = unique_marker("multi")
    sent = make_message(marker, to=BOB,
                        extra_headers=(f"Cc: <{CAROL}>",))
    got = relay_one(to_postfix, postfix, [BOB, CAROL], sent)
    assert got[BOB] == got[CAROL] == crlf_to_lf(sent)
    # One transaction downstream carried both (logged after Postfix's
    # 250, which may come after its delivery).
    wait_until(lambda: log_lines(
        to_postfix, rf"event=delivered id=\S+ to=<{BOB}>,<{CAROL}> "
                    r"relay=smtp:"), "the delivered line", to_postfix)
    assert log_lines(to_postfix, r"event=relay_sent .*recipients=2 "
                                 r"delivered=2 deferred=0 bounced=0")


@needs_postfix
def test_large_message_with_long_lines(to_postfix, postfix):
    """Several blocks of data (the client writes 64 KiB at a time), lines
    of the full 998 octets, and dots at block edges."""
    marker = unique_marker("large")
    lines = [f"marker: {marker}"]
    for i in range(500):
        lines.append((f".{i:05d}" + "x" * 998)[:998] if i % 2 == 0 else
                     f"line {i} " + "y" * (i % 200))
    sent = make_message(marker, to=BOB, body="\r\n".join(lines) + "\r\n")
    assert len(sent) > 3 * 65536
    got = relay_one(to_postfix, postfix, [BOB], sent)
    assert got[BOB] == crlf_to_lf(sent)


@needs_postfix
def test_bdat_chunks_arrive_byte_exact(to_postfix, postfix):
    """BDAT (no dot-stuffing on the way in) relayed with DATA (stuffed
    on the way out): the dots arrive as sent."""
    marker = unique_marker("bdat")
    sent = make_message(marker, to=BOB,
                        body=f"marker: {marker}\r\n.\r\n.dot\r\nend\r\n")
    before = postfix.maildir_messages(BOB, count=0, timeout=0)
    cut = sent.index(b"\r\n.\r\n") + 3
    with to_postfix.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        client.expect(f"RCPT TO:<{BOB}>", 250)
        for chunk, last in ((sent[:cut], False), (sent[cut:], True)):
            client.send(f"BDAT {len(chunk)}{' LAST' if last else ''}\r\n"
                        .encode() + chunk)
            assert client.reply()[0] == 250
        client.expect("QUIT", 221)
    fresh = new_messages(postfix, BOB, before)
    assert len(fresh) == 1, postfix.log()[-3000:]
    assert postfix_delivered(fresh[0], SENDER, BOB, "ESMTP") == \
        crlf_to_lf(sent)


@needs_postfix
def test_null_sender_is_relayed_as_null(to_postfix, postfix):
    marker = unique_marker("null")
    sent = make_message(marker, sender="", to=BOB)
    got = relay_one(to_postfix, postfix, [BOB], sent, sender="")
    assert got[BOB] == crlf_to_lf(sent)


@needs_postfix
def test_recipient_postfix_refuses_bounces_the_other_arrives(to_postfix,
                                                             postfix):
    """relay.verify = accept takes an unknown user; Postfix refuses it at
    RCPT: that recipient bounces to the local sender (with Postfix's
    reply), the other in the same transaction is delivered."""
    marker = unique_marker("mixed")
    sent = make_message(marker, sender=DEMO, to=BOB)
    got = relay_one(to_postfix, postfix, [BOB], sent, sender=DEMO,
                    also=[UNKNOWN])
    assert got[BOB] == crlf_to_lf(sent)
    found = wait_until(lambda: [d for d in dsns(to_postfix, DEMO)
                                if marker in d[1].as_string()],
                       "the bounce", to_postfix)
    _, message = found[0]
    _, blocks, returned = report_parts(message)
    assert len(blocks) == 2, blocks
    block = blocks[1]
    assert block["Final-Recipient"] == f"rfc822; {UNKNOWN}"
    assert block["Action"] == "failed"
    assert block["Status"] == "5.1.1"
    assert block["Remote-MTA"] == f"dns; {LOOPBACK}"
    assert re.fullmatch(rf"smtp; 550 5\.1\.1 <{UNKNOWN}>: Recipient "
                        r"address rejected: .*", block["Diagnostic-Code"]), \
        block["Diagnostic-Code"]
    assert returned.get_payload(0)["Subject"] == f"test {marker}"


@needs_postfix
def test_probe_refuses_what_postfix_refuses(postfix, relay_factory):
    instance = relay_factory(settings={
        "relay.domains": DOWNSTREAM,
        "relay.host": f"[{LOOPBACK}]:{postfix.port}",
        "relay.verify": "probe",
    })
    marker = unique_marker("probe")
    before = postfix.maildir_messages(BOB, count=0, timeout=0)
    with instance.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        code, texts = client.command(f"RCPT TO:<{UNKNOWN}>")
        assert code == 550, texts
        assert texts[0].startswith("5.1.1 "), texts
        # Postfix's reason is passed on.
        assert "User unknown" in texts[0], texts
        client.expect(f"RCPT TO:<{BOB}>", 250)
        client.expect("DATA", 354)
        client.send(make_message(marker, to=BOB) + b".\r\n")
        assert client.reply()[0] == 250
        # A UTF-8 address is probed with SMTPUTF8.
        client.expect(f"MAIL FROM:<{SENDER}> SMTPUTF8", 250)
        client.expect(f"RCPT TO:<{UTF8_USER}>", 250)
        code, texts = client.command(f"RCPT TO:<n\u00f6body@{DOWNSTREAM}>")
        assert code == 550 and texts[0].startswith("5.1.1 "), texts
        client.expect("RSET", 250)
        client.expect("QUIT", 221)
    fresh = new_messages(postfix, BOB, before)
    assert len(fresh) == 1 and marker.encode() in fresh[0], postfix.log()
    assert log_lines(instance, rf"event=recipient_probe rcpt=<{UNKNOWN}>")
    assert log_lines(instance, rf"event=recipient_probe rcpt=<{BOB}>")
    # Nothing bounced: the unknown address never entered the queue.
    assert not log_lines(instance, r"event=bounced")


# Postfix's smtp-sink as a downstream that defers, refuses, speaks LMTP
# or lacks STARTTLS. Each test has its own domain and sink port in one
# shared sluiced.

# A 4xx from the downstream at each stage of the transaction, and a
# downstream that hangs up: smtp-sink options, and the reply sluiced
# records (smtp-sink's own soft reply, its 421, or the client's made-up
# 4.4.2 for a lost connection; after the dot the message was received,
# so the retry makes a duplicate there, as in every MTA).
SOFT_CASES = {
    "banner": (["-r", "CONNECT"], 450, "4.3.0", "Error: command failed"),
    "rcpt": (["-r", "RCPT"], 450, "4.3.0", "Error: command failed"),
    "data": (["-r", "DATA"], 450, "4.3.0", "Error: command failed"),
    "dot": (["-r", "."], 450, "4.3.0", "Error: command failed"),
    # No enhanced code in smtp-sink's 421: the class gives 4.0.0.
    "421-mail": (["-Q", "MAIL"], 421, "4.0.0", "Server closing connection"),
    "hangup-dot": (["-q", "."], 421, "4.4.2", None),
}
SINK_DOMAINS = [f"soft-{case}.test" for case in SOFT_CASES] + [
    "hard.test", "hard-utf8.test", "dsn.test", "nodsn.test", "lmtp.test",
    "lmtp-refuse.test"]


@pytest.fixture(scope="module")
def sinks(sluice_binaries, relay_factory):
    """One sluiced with a relay domain per smtp-sink test, each with its
    own transport port; returns (instance, {domain: port})."""
    ports = dict(zip(SINK_DOMAINS, free_ports(len(SINK_DOMAINS))))
    settings = {
        **FAST_RETRY,
        "relay.domains": ", ".join(SINK_DOMAINS),
        "relay.verify": "accept",
        "relay.tls": "none",
    }
    for domain, port in ports.items():
        prefix = "lmtp:" if domain.startswith("lmtp") else ""
        host = f"{LOOPBACK}:{port}" if prefix else f"[{LOOPBACK}]:{port}"
        settings[f"relay.transport.{domain}"] = prefix + host
    return relay_factory(settings=settings), ports


def send_for_id(instance, sender, recipients, message, options=(),
                rcpt_options=()):
    """Sends with smtplib; returns the queue id from sluiced's 250."""
    with instance.smtp() as client:
        client.ehlo()
        assert client.mail(sender, list(options))[0] == 250
        for recipient in recipients:
            assert client.rcpt(recipient, list(rcpt_options))[0] == 250
        code, text = client.data(message)
    assert code == 250, text
    return re.search(rb"queued as (\S+)", text).group(1).decode()


@needs_sink
@pytest.mark.parametrize("case", SOFT_CASES)
def test_4xx_then_2xx_is_retried_and_delivered(sinks, case):
    instance, ports = sinks
    options, code, status, text = SOFT_CASES[case]
    domain = f"soft-{case}.test"
    recipient = f"someone@{domain}"
    marker = unique_marker("soft")
    sent = make_message(marker, to=recipient, body=(
        f"marker: {marker}\r\n.dot line\r\n\u00e9t\u00e9\r\n"))
    with SmtpSink(ports[domain], *options):
        spool_id = send_for_id(instance, SENDER, [recipient], sent,
                               ["BODY=8BITMIME"])
        # Deferred and listed; for one case twice (the retry timer
        # runs), the others go on at once (`sluice queue flush` below).
        deferred = rf"event=deferred id={re.escape(spool_id)} " \
            rf"to=<{recipient}> relay=smtp:\S+ code={code} " \
            rf"status={re.escape(status)} "
        attempts = 2 if case == "rcpt" else 1
        wait_until(lambda: len(log_lines(instance, deferred)) >= attempts,
                   f"{attempts} deferral(s)", instance)
        entries, lines = list_lines(instance)
        line = entries[spool_id]
        assert 'pending=1/1' in line, line
        assert f' error="{code} {status} {text or ""}' in line, line
        assert f"  {domain} 1" in lines
    with SmtpSink(ports[domain]) as sink:
        if case != "rcpt":
            instance.cli("queue", "flush")
        dump, = sink.wait_dumps(1, instance)
        assert dump["message"].endswith(crlf_to_lf(sent) + b"\n"), dump
        assert dump["mail"] == f"<{SENDER}> BODY=8BITMIME", dump
        assert dump["rcpts"] == [f"<{recipient}>"], dump
        wait_until(lambda: log_lines(
            instance, rf"event=delivered id={re.escape(spool_id)} "
                      rf"to=<{recipient}> relay=smtp:\S+ code=250"),
            "the delivery", instance)
        wait_until(lambda: spool_id not in list_lines(instance)[0],
                   "the message to leave the queue", instance)
        assert len(sink.dumps()) == 1


def global_status_blocks(raw, message):
    """The field blocks of the message/global-delivery-status part of a
    delivered (LF) DSN, from its bytes: Python's email package parses
    message/delivery-status into blocks, but takes this one for a single
    embedded message."""
    boundary = message.get_boundary().encode()
    for part in raw.split(b"--" + boundary):
        head, _, body = part.partition(b"\n\n")
        if b"message/global-delivery-status" in head:
            return [email.message_from_bytes(block + b"\n",
                                             policy=email.policy.SMTPUTF8)
                    for block in body.strip().split(b"\n\n")]
    raise AssertionError(f"no global delivery status in {raw[:2000]!r}")


@needs_sink
def test_smtputf8_to_a_peer_without_it_bounces(sinks):
    """smtp-sink does not offer SMTPUTF8: a message that needs it can
    never go there (5.6.7), and the DSN is an SMTPUTF8 (global) one."""
    instance, ports = sinks
    recipient = "j\u00f6rg@hard-utf8.test"
    marker = unique_marker("utf8-bounce")
    sent = make_message(marker, sender=DEMO, to=recipient,
                        subject=f"Gr\u00fc\u00dfe {marker}")
    with SmtpSink(ports["hard-utf8.test"]) as sink:
        spool_id = send_for_id(instance, DEMO, [recipient], sent,
                               ["SMTPUTF8", "BODY=8BITMIME"])
        found = wait_until(lambda: [d for d in dsns(instance, DEMO)
                                    if spool_id in d[0].decode("utf-8",
                                                               "replace")],
                           "the bounce", instance)
        assert not sink.dumps()
    raw, message = found[0]
    assert message.get_content_type() == "multipart/report"
    parts = message.get_payload()
    assert [p.get_content_type() for p in parts] == [
        "text/plain", "message/global-delivery-status", "message/global"]
    blocks = global_status_blocks(raw, message)
    assert blocks[1]["Final-Recipient"] == f"utf-8; {recipient}"
    assert blocks[1]["Action"] == "failed"
    assert blocks[1]["Status"] == "5.6.7"
    # The relay client's own words, not a reply of the host.
    assert blocks[1]["Diagnostic-Code"].startswith(
        "X-Sluice; SMTPUTF8 is required, but was not offered by "
        f"{LOOPBACK}["), blocks[1]["Diagnostic-Code"]
    assert blocks[1]["Remote-MTA"] is None
    text = parts[0].get_payload(decode=True).decode("utf-8")
    assert f"<{recipient}>: failed, SMTPUTF8 is required" in text, text
    # Logged once the outcome is recorded, after the DSN was written.
    wait_until(lambda: log_lines(
        instance, rf"event=bounced id={re.escape(spool_id)} .*"
                  r"code=550 status=5\.6\.7"), "the bounced line", instance)


@needs_sink
def test_ascii_message_sent_with_smtputf8_goes_to_a_peer_without_it(sinks):
    """SMTPUTF8 at MAIL alone does not make a message need it: with ASCII
    addresses and headers it goes to a server without SMTPUTF8."""
    instance, ports = sinks
    recipient = "plain@hard-utf8.test"
    marker = unique_marker("ascii-utf8")
    sent = make_message(marker, sender=DEMO, to=recipient)
    with SmtpSink(ports["hard-utf8.test"]) as sink:
        send_for_id(instance, DEMO, [recipient], sent, ["SMTPUTF8"])
        dumps = wait_until(sink.dumps, "the delivery", instance)
    assert marker.encode() in dumps[0]["message"]
    assert dumps[0]["rcpts"] == [f"<{recipient}>"]


@needs_sink
def test_5xx_bounces_to_the_local_sender(sinks):
    instance, ports = sinks
    recipient = "gone@hard.test"
    marker = unique_marker("hard")
    reply = f"550 5.1.1 <{recipient}>: Recipient address rejected"
    with SmtpSink(ports["hard.test"], "-f", "RCPT", "-B", reply) as sink:
        instance.send([recipient], marker=marker, sender=DEMO)
        found = wait_until(lambda: [d for d in dsns(instance, DEMO)
                                    if marker in d[1].as_string()],
                           "the bounce", instance)
        assert not sink.dumps()
    raw, message = found[0]
    assert raw.startswith(b"Return-Path: <>\n")
    assert message["To"] == f"<{DEMO}>"
    assert message["Subject"] == "Delivery Status Notification (Failure)"
    text, blocks, returned = report_parts(message)
    assert f"<{recipient}>: failed" in text.get_payload()
    per_recipient = blocks[1]
    assert per_recipient["Final-Recipient"] == f"rfc822; {recipient}"
    assert per_recipient["Action"] == "failed"
    assert per_recipient["Status"] == "5.1.1"
    assert per_recipient["Remote-MTA"] == f"dns; {LOOPBACK}"
    assert per_recipient["Diagnostic-Code"] == f"smtp; {reply}"
    original = returned.get_payload(0)
    assert original["Subject"] == f"test {marker}"
    # Bounced at once, never retried.
    assert not log_lines(instance, rf"event=deferred id=\S+ to=<{recipient}>")
    assert len([d for d in dsns(instance, DEMO)
                if marker in d[1].as_string()]) == 1


@needs_sink
def test_dsn_duty_passed_on_or_reported_relayed(sinks):
    """NOTIFY=SUCCESS (RFC 3461): a next hop that offers DSN gets the
    parameters and the duty (sluiced reports nothing); one that does not
    gets the message plainly and sluiced reports it "relayed"."""
    instance, ports = sinks
    marker = unique_marker("notify")
    with SmtpSink(ports["dsn.test"]) as with_dsn, \
            SmtpSink(ports["nodsn.test"], "-N") as without:
        sent = make_message(marker, sender=DEMO, to="a@dsn.test")
        spool_id = send_for_id(
            instance, DEMO, ["a@dsn.test", "b@nodsn.test"], sent,
            ["RET=HDRS", f"ENVID=ENV-{marker}"],
            ["NOTIFY=SUCCESS,FAILURE"])
        dump, = with_dsn.wait_dumps(1, instance)
        assert dump["mail"] == f"<{DEMO}> RET=HDRS ENVID=ENV-{marker}"
        assert dump["rcpts"] == ["<a@dsn.test> NOTIFY=SUCCESS,FAILURE"]
        plain, = without.wait_dumps(1, instance)
        assert plain["mail"] == f"<{DEMO}>"
        assert plain["rcpts"] == ["<b@nodsn.test>"]
        found = wait_until(lambda: dsns(instance, DEMO, spool_id),
                           "the relayed report", instance)
    assert len(found) == 1
    _, message = found[0]
    assert message["Subject"] == "Delivery Status Notification (Success)"
    _, blocks, returned = report_parts(message)
    assert blocks[0]["Original-Envelope-Id"] == f"ENV-{marker}"
    assert len(blocks) == 2, blocks
    assert blocks[1]["Final-Recipient"] == "rfc822; b@nodsn.test"
    assert blocks[1]["Action"] == "relayed"
    assert blocks[1]["Status"] == "2.0.0"
    assert returned.get_content_type() == "text/rfc822-headers"


@needs_sink
def test_lmtp_downstream_takes_every_recipient(sinks):
    """LMTP is final delivery: with NOTIFY=SUCCESS sluiced itself reports
    "delivered" for each recipient (not "relayed")."""
    instance, ports = sinks
    recipients = ["one@lmtp.test", "two@lmtp.test"]
    marker = unique_marker("lmtp")
    sent = make_message(marker, sender=DEMO, to=recipients[0],
                        body=f"marker: {marker}\r\n.\r\n..\r\n")
    with SmtpSink(ports["lmtp.test"], "-L") as sink:
        spool_id = send_for_id(instance, DEMO, recipients, sent,
                               rcpt_options=["NOTIFY=SUCCESS"])
        dump, = sink.wait_dumps(1, instance)
        assert dump["proto"] == "LMTP"
        assert [r.split()[0] for r in dump["rcpts"]] == \
            [f"<{r}>" for r in recipients]
        assert dump["message"].endswith(crlf_to_lf(sent) + b"\n")
        wait_until(lambda: log_lines(
            instance, rf"event=delivered id={re.escape(spool_id)} "
                      rf"to=<{recipients[0]}>,<{recipients[1]}> "
                      r"relay=lmtp:"), "the delivery", instance)
        found = wait_until(lambda: dsns(instance, DEMO, spool_id),
                           "the success report", instance)
    assert log_lines(instance, r"event=relay_sent dest=lmtp:\S+ .*"
                               r"recipients=2 delivered=2")
    _, blocks, _ = report_parts(found[0][1])
    # The status is smtp-sink's own (2.2.0 after the dot).
    assert [(b["Final-Recipient"], b["Action"], b["Status"][:2])
            for b in blocks[1:]] == [
        (f"rfc822; {r}", "delivered", "2.") for r in recipients]


@needs_sink
def test_lmtp_reply_per_recipient_after_data(sinks):
    """smtp-sink refuses the data for each recipient in turn (one 5xx
    per recipient after the dot): each is bounced on its own reply and
    the session stays in step."""
    instance, ports = sinks
    recipients = ["one@lmtp-refuse.test", "two@lmtp-refuse.test"]
    marker = unique_marker("lmtp-refuse")
    reply = "554 5.6.0 Message content rejected"
    with SmtpSink(ports["lmtp-refuse.test"], "-L", "-f", ".", "-B", reply):
        instance.send(recipients, marker=marker, sender=DEMO)
        found = wait_until(lambda: [d for d in dsns(instance, DEMO)
                                    if marker in d[1].as_string()],
                           "the bounce", instance)
    _, message = found[0]
    _, blocks, _ = report_parts(message)
    assert [b["Final-Recipient"] for b in blocks[1:]] == \
        [f"rfc822; {r}" for r in recipients]
    for block in blocks[1:]:
        assert block["Action"] == "failed"
        assert block["Status"] == "5.6.0"
        assert block["Diagnostic-Code"] == f"smtp; {reply}"
    assert log_lines(instance, r"event=relay_sent dest=lmtp:\S+ .*"
                               r"recipients=2 delivered=0 deferred=0 "
                               r"bounced=2")


# relay.tls = encrypt against a peer without STARTTLS, then may.

@needs_sink
def test_encrypt_without_starttls_waits_then_may_delivers(relay_factory):
    port, = free_ports(1)
    recipient = "x@tls.test"
    instance = relay_factory(settings={
        **FAST_RETRY,
        "relay.domains": "tls.test",
        "relay.host": f"[{LOOPBACK}]:{port}",
        "relay.verify": "accept",
        "relay.tls": "encrypt",
    })
    marker = unique_marker("encrypt")
    with SmtpSink(port) as sink:
        instance.send([recipient], marker=marker)
        wait_until(lambda: log_lines(
            instance, rf"event=deferred id=\S+ to=<{recipient}> \S+ "
                      r"code=421 status=4\.7\.4"),
            "a deferral for missing STARTTLS", instance)
        entries, _ = list_lines(instance)
        line, = entries.values()
        assert "pending=1/1" in line, line
        assert re.search(r' error="421 4\.7\.4 TLS is required, but was '
                         r'not offered by 127\.0\.0\.1', line), line
        assert not sink.dumps()

        instance.settings["relay.tls"] = "may"
        instance.write_config()
        instance.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: log_lines(instance, r"event=reloaded"),
                   "the reload", instance)
        instance.cli("queue", "flush")
        dump, = sink.wait_dumps(1, instance)
        assert marker.encode() in dump["message"]
    wait_until(lambda: not list_lines(instance)[0], "an empty queue",
               instance)


def test_encrypt_delivers_over_starttls(relay_factory):
    """relay.tls = encrypt through the queue to a downstream that offers
    STARTTLS (another sluiced, which owns example.test)."""
    downstream = relay_factory()
    instance = relay_factory(accounts=False, settings={
        "relay.domains": "example.test",
        "relay.host": f"[{LOOPBACK}]:{downstream.smtp_port}",
        "relay.verify": "accept",
        "relay.tls": "encrypt",
    })
    marker = unique_marker("starttls")
    sent = make_message(marker, to=DEMO)
    instance.send([DEMO], message=sent)
    delivered, = downstream.wait_for_messages(DEMO, 1, marker=marker)
    # Downstream's Received says ESMTPS; then ours; then the original.
    fields, rest = strip_fields(delivered, 4)
    assert [name for name, _ in fields] == \
        ["Return-Path", "Delivered-To", "Received", "Received"], fields
    assert re.search(rb"from mx\.sluice\.test .* with ESMTPS id",
                     fields[2][1], re.S), fields[2][1]
    assert_sluice_received(fields[3][1], "ESMTP")
    assert rest == crlf_to_lf(sent)
    # Logged after the downstream's 250, which may come after the file.
    wait_until(lambda: log_lines(instance, r"event=relay_sent .*tls=yes"),
               "the relay_sent line", instance)


# The queue keeps relay mail across a restart.

@needs_sink
def test_deferred_relay_mail_survives_restart(relay_factory):
    port, = free_ports(1)
    recipients = ["a@later.test", "b@later.test"]
    instance = relay_factory(settings={
        **FAST_RETRY,
        "relay.domains": "later.test",
        "relay.host": f"[{LOOPBACK}]:{port}",
        "relay.verify": "accept",
    })
    markers = [unique_marker("restart") for _ in range(2)]
    for marker in markers:
        instance.send(recipients, marker=marker)
    # Nobody listens: refused connections, deferred.
    wait_until(lambda: len(set(log_lines(
        instance, r"event=deferred id=(\S+) to=<a@later.test>,"
                  r"<b@later.test> \S+ code=421 status=4\.4\.1"))) == 2,
        "both deferred", instance)
    instance.stop()
    entries, _ = list_lines(instance)
    assert len(entries) == 2
    for line in entries.values():
        assert "pending=2/2" in line and ' error="421 4.4.1 ' in line, line
    with SmtpSink(port) as sink:
        instance.start()
        dumps = sink.wait_dumps(2, instance)
        wait_until(lambda: not list_lines(instance)[0], "an empty queue",
                   instance)
        time.sleep(0.5)
        dumps = sink.dumps()
    assert len(dumps) == 2
    for marker in markers:
        dump, = [d for d in dumps if marker.encode() in d["message"]]
        assert dump["rcpts"] == [f"<{r}>" for r in recipients]
