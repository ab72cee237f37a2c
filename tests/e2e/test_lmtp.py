# test_lmtp.py: sluiced's LMTP server (RFC 2033) end to end: Python's
# smtplib.LMTP over TCP on 127.0.0.1 and over a unix socket delivers into
# the users' Maildirs with Return-Path, Delivered-To and Received; mixed
# known and unknown recipients get one reply each, at RCPT and after
# DATA; STARTTLS works; TCP clients outside lmtp.networks are refused; and a real Postfix
# hands mail for a virtual domain to sluiced with
# virtual_transport = lmtp:inet:127.0.0.1:PORT.

import smtplib

import pytest

import sluice_e2e
from postfix_instance import PostfixInstance, unavailable
from sluice_e2e import ALICE, DEMO, SENDER, make_message, unique_marker


def lmtp_sluice(factory, networks=None):
    """A running sluiced with LMTP on a loopback port and a unix socket."""
    instance = factory(start=False)
    instance.lmtp_port, = sluice_e2e.free_ports(1)
    instance.lmtp_socket = str(instance.base_dir / "lmtp.sock")
    instance.settings["lmtp.listen"] = (
        f"{sluice_e2e.LOOPBACK}:{instance.lmtp_port}, "
        f"unix:{instance.lmtp_socket}")
    if networks is not None:
        instance.settings["lmtp.networks"] = networks
    instance.write_config()
    return instance.start()


@pytest.fixture
def sluice_lmtp(sluice_factory):
    return lmtp_sluice(sluice_factory)


def lmtp_tcp(instance):
    return smtplib.LMTP(sluice_e2e.LOOPBACK, instance.lmtp_port,
                        local_hostname="mta.client.test", timeout=15)


def lmtp_unix(instance):
    # smtplib.LMTP takes a host starting with '/' as a unix socket path.
    return smtplib.LMTP(instance.lmtp_socket,
                        local_hostname="mta.client.test", timeout=15)


def check_trace_headers(message, recipient):
    headers = sluice_e2e.header_block(message)
    assert headers[0] == f"Return-Path: <{SENDER}>"
    assert headers[1] == f"Delivered-To: {recipient}"
    assert headers[2].startswith("Received: from mta.client.test (")
    assert "by mx.sluice.test (sluice) with LMTP id " in headers[2]


@pytest.mark.parametrize("connect", [lmtp_tcp, lmtp_unix],
                         ids=["tcp", "unix"])
def test_lmtp_delivers_into_maildir(sluice_lmtp, connect):
    marker = unique_marker("lmtp")
    with connect(sluice_lmtp) as client:
        code, lhlo = client.ehlo()  # LMTP's ehlo() sends LHLO
        assert code == 250
        assert b"PIPELINING" in lhlo and b"ENHANCEDSTATUSCODES" in lhlo
        refused = client.sendmail(SENDER, [DEMO],
                                  make_message(marker, to=DEMO))
    assert refused == {}
    messages = sluice_lmtp.wait_for_messages(DEMO, 1, marker=marker)
    assert len(messages) == 1
    check_trace_headers(messages[0], DEMO)
    assert f"marker: {marker}".encode() in messages[0]
    log = sluice_lmtp.log_text()
    assert "event=lmtp_delivered" in log and f"to=<{DEMO}>" in log


def test_lmtp_one_reply_per_recipient(sluice_lmtp):
    marker = unique_marker("lmtp-mixed")
    with lmtp_tcp(sluice_lmtp) as client:
        client.ehlo()
        assert client.mail(SENDER)[0] == 250
        assert client.rcpt(DEMO)[0] == 250
        code, text = client.rcpt("nobody@example.test")
        assert (code, text[:5]) == (550, b"5.1.1")
        assert client.rcpt("alice+tag@example.test")[0] == 250
        assert client.rcpt("someone@elsewhere.test")[0] == 550
        # The first reply after DATA is DEMO's, then one for alice.
        code, text = client.data(make_message(marker, to=DEMO))
        assert code == 250, text
        assert text.startswith(b"2.0.0 <demo@example.test>")
        code, text = client.getreply()
        assert code == 250, text
        assert text.startswith(b"2.0.0 <alice+tag@example.test>")
        assert client.noop()[0] == 250
    demo = sluice_lmtp.wait_for_messages(DEMO, 1, marker=marker)
    alice = sluice_lmtp.wait_for_messages(ALICE, 1, marker=marker)
    check_trace_headers(demo[0], DEMO)
    check_trace_headers(alice[0], ALICE)


def test_lmtp_protocol_errors(sluice_lmtp):
    with sluice_e2e.RawSmtp(sluice_lmtp.lmtp_port) as client:
        assert client.reply()[0] == 220
        assert client.command("EHLO mta.client.test")[0] == 500
        assert client.command("MAIL FROM:<a@b.test>")[0] == 503
        assert client.command("LHLO mta.client.test")[0] == 250
        assert client.command("DATA")[0] == 503
        # Pipelined: MAIL, an unknown user, DATA with no recipient.
        client.send("MAIL FROM:<a@b.test>\r\nRCPT TO:<nobody@example.test>"
                    "\r\nDATA\r\nQUIT\r\n")
        codes = [code for code, _ in client.replies(4)]
        assert codes == [250, 550, 503, 221]


def test_lmtp_starttls(sluice_lmtp):
    marker = unique_marker("lmtp-tls")
    with lmtp_tcp(sluice_lmtp) as client:
        client.ehlo()
        assert client.has_extn("starttls")
        code, _ = client.starttls(context=sluice_lmtp.client_tls_context())
        assert code == 220
        client.ehlo()
        assert not client.has_extn("starttls")
        client.sendmail(SENDER, [DEMO], make_message(marker, to=DEMO))
    message = sluice_lmtp.wait_for_messages(DEMO, 1, marker=marker)[0]
    assert "with LMTPS id" in sluice_e2e.header_block(message)[2]


def test_lmtp_networks_refuse_tcp_but_not_unix(sluice_factory):
    instance = lmtp_sluice(sluice_factory, networks="192.0.2.0/24")
    with sluice_e2e.RawSmtp(instance.lmtp_port) as client:
        code, texts = client.reply()
        assert code == 421 and texts[0].startswith("4.7.0 ")
        assert client.at_eof()
    marker = unique_marker("lmtp-unix")
    with lmtp_unix(instance) as client:
        client.sendmail(SENDER, [ALICE], make_message(marker, to=ALICE))
    instance.wait_for_messages(ALICE, 1, marker=marker)


@pytest.mark.skipif(unavailable() is not None, reason=str(unavailable()))
def test_postfix_delivers_over_lmtp(sluice_lmtp):
    postfix = PostfixInstance(
        [sluice_e2e.DOMAIN], [DEMO, ALICE],
        extra_main={"virtual_transport":
                    f"lmtp:inet:127.0.0.1:{sluice_lmtp.lmtp_port}"})
    marker = unique_marker("postfix-lmtp")
    with postfix:
        with smtplib.SMTP("127.0.0.1", postfix.port, timeout=15) as client:
            refused = client.sendmail(SENDER, [DEMO, ALICE],
                                      make_message(marker, to=DEMO))
        assert refused == {}
        try:
            demo = sluice_lmtp.wait_for_messages(DEMO, 1, marker=marker,
                                                 timeout=30)
            alice = sluice_lmtp.wait_for_messages(ALICE, 1, marker=marker,
                                                  timeout=30)
        except AssertionError as error:
            raise AssertionError(f"{error}\npostfix log:\n{postfix.log()}")
    for message, recipient in ((demo[0], DEMO), (alice[0], ALICE)):
        headers = sluice_e2e.header_block(message)
        assert headers[0] == f"Return-Path: <{SENDER}>"
        assert headers[1] == f"Delivered-To: {recipient}"
        assert headers[2].startswith(
            "Received: from mailbox.downstream.test (127.0.0.1)")
        assert "with LMTP id" in headers[2]
