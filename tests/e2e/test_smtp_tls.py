# test_smtp_tls.py: STARTTLS on the MX listener (RFC 3207) with real
# clients (swaks, smtplib, Python's ssl on a raw socket): no command
# injection across the handshake (CVE-2011-0411), the session forgets
# its EHLO, TLS 1.2 or newer only, STARTTLS once, and a new certificate
# served after SIGHUP.

import signal
import smtplib
import socket
import ssl
import subprocess
import time
import warnings

import pytest

from sluice_e2e import (DEMO, LOOPBACK, SENDER, make_message,
                        make_tls_material, unique_marker)


def assert_reply(reply, code, enhanced=None):
    got, texts = reply
    assert got == code, f"expected {code}, got {got} {texts}"
    if enhanced is not None:
        assert texts[0].startswith(enhanced), texts


def wait_for_log(instance, text, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in instance.log_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never logged\n" + instance.log_tail())


def tls_over(client, context=None):
    """Turns a RawSmtp whose STARTTLS was answered 220 into TLS."""
    assert client.pending == b"", \
        f"server said more than 220 before the handshake: {client.pending!r}"
    if context is None:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    client.sock = context.wrap_socket(client.sock,
                                      server_hostname="localhost")
    return client.sock


def old_protocol_context(version):
    """A client context that offers only `version`, with the security
    level lowered so OpenSSL really sends it (the refusal must come from
    the server, not from the client's own policy)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = version
        context.maximum_version = version
    return context


def test_swaks_delivers_over_starttls(sluice_module):
    marker = unique_marker("swaks-tls")
    result = subprocess.run(
        ["swaks", "--server", f"{LOOPBACK}:{sluice_module.smtp_port}",
         "--tls", "--helo", "client.test", "--from", SENDER, "--to", DEMO,
         "--header", f"Subject: {marker}", "--body", f"body {marker}"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "TLS started" in result.stdout, result.stdout
    delivered, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    assert b"with ESMTPS" in delivered
    assert b"(using TLSv1." in delivered


def test_smtplib_starttls_verifies_and_delivers(sluice_module):
    marker = unique_marker("smtplib-tls")
    with sluice_module.smtp() as client:
        client.ehlo()
        code, _ = client.starttls(
            context=sluice_module.client_tls_context())
        assert code == 220
        assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
        client.ehlo()
        client.sendmail(SENDER, [DEMO], make_message(marker))
    sluice_module.wait_for_messages(DEMO, 1, marker=marker)


INJECTIONS = {
    "rset": "RSET\r\n",
    "noop-quit": "NOOP\r\nQUIT\r\n",
    "ehlo": "EHLO evil.test\r\n",
    "transaction": f"MAIL FROM:<evil@remote.test>\r\nRCPT TO:<{DEMO}>\r\n",
}


@pytest.mark.parametrize("injected", INJECTIONS.values(),
                         ids=INJECTIONS.keys())
def test_commands_pipelined_after_starttls_are_discarded(sluice_module,
                                                         injected):
    with sluice_module.raw() as client:
        client.greet()
        # One write, so one packet: STARTTLS and what an attacker on the
        # path appended to it in the clear.
        client.send("STARTTLS\r\n" + injected)
        assert_reply(client.reply(), 220, "2.0.0")
        tls_over(client)
        # The injected commands are never answered: the first reply
        # inside TLS belongs to our first command.
        client.sock.settimeout(0.5)
        with pytest.raises((socket.timeout, TimeoutError)):
            data = client.sock.recv(4096)
            raise AssertionError(f"unrequested reply after TLS: {data!r}")
        client.sock.settimeout(15)
        assert_reply(client.command("HELP"), 214)
        # Nothing of the injected state survived: no EHLO, no MAIL.
        assert_reply(client.command(f"RCPT TO:<{DEMO}>"), 503, "5.5.1")
        texts = client.expect("EHLO client.test", 250)
        assert texts[0].startswith("mx.sluice.test")
        assert_reply(client.command(f"RCPT TO:<{DEMO}>"), 503, "5.5.1")
        client.expect(f"MAIL FROM:<{SENDER}>", 250)


def test_ehlo_state_resets_after_tls(sluice_module):
    marker = unique_marker("tls-reset")
    with sluice_module.raw() as client:
        client.greet("before.test")
        client.expect("STARTTLS", 220)
        tls_over(client)
        # RFC 3207 4.2: the client must EHLO again.
        assert_reply(client.command(f"MAIL FROM:<{SENDER}>"), 503, "5.5.1")
        texts = client.expect("EHLO after.test", 250)
        assert "STARTTLS" not in texts
        assert "CHUNKING" in texts
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        client.expect(f"RCPT TO:<{DEMO}>", 250)
        client.expect("DATA", 354)
        client.send(make_message(marker) + b".\r\n")
        assert_reply(client.reply(), 250)
    delivered, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    assert b"Received: from after.test " in delivered
    assert b"before.test" not in delivered


def test_helo_before_starttls_is_forgotten_too(sluice_module):
    with sluice_module.raw() as client:
        assert client.reply()[0] == 220
        client.expect("HELO before.test", 250)
        client.expect("STARTTLS", 220)
        tls_over(client)
        assert_reply(client.command(f"MAIL FROM:<{SENDER}>"), 503, "5.5.1")


def test_starttls_twice_is_503(sluice_module):
    with sluice_module.raw() as client:
        client.greet()
        client.expect("STARTTLS", 220)
        tls_over(client)
        client.expect("EHLO client.test", 250)
        assert_reply(client.command("STARTTLS"), 503, "5.5.1")
        # Still usable, still TLS.
        client.expect("NOOP", 250)
        assert client.sock.version() in ("TLSv1.2", "TLSv1.3")


def test_starttls_in_transaction_or_with_argument_is_refused(sluice_module):
    with sluice_module.raw() as client:
        client.greet()
        assert_reply(client.command("STARTTLS now"), 501, "5.5.4")
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        assert_reply(client.command("STARTTLS"), 503, "5.5.1")
        client.expect("RSET", 250)
        client.expect("STARTTLS", 220)


def test_starttls_without_certificate_is_502(sluice_factory):
    plain = sluice_factory(tls=False)
    with plain.raw() as client:
        client.greet()
        assert_reply(client.command("STARTTLS"), 502)
        client.expect("NOOP", 250)


@pytest.mark.parametrize("version", ["TLSv1", "TLSv1_1"])
def test_old_tls_versions_are_refused(sluice_module, version):
    context = old_protocol_context(getattr(ssl.TLSVersion, version))
    with sluice_module.raw() as client:
        client.greet()
        client.expect("STARTTLS", 220)
        with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
            tls_over(client, context)
            raise AssertionError(f"{version} handshake succeeded: "
                                 f"{client.sock.version()}")


def test_tls_1_2_is_accepted(sluice_module):
    """The control for the refusal above: the same lowered client policy
    with TLS 1.2 works, so the refusal is the server's choice."""
    context = old_protocol_context(ssl.TLSVersion.TLSv1_2)
    with sluice_module.raw() as client:
        client.greet()
        client.expect("STARTTLS", 220)
        tls_over(client, context)
        assert client.sock.version() == "TLSv1.2"
        client.expect("EHLO client.test", 250)


def peer_certificate(instance):
    with instance.raw() as client:
        client.greet()
        client.expect("STARTTLS", 220)
        sock = tls_over(client)
        return sock.getpeercert(binary_form=True)


def test_certificate_is_reloaded_on_sighup(sluice, tmp_path):
    first = peer_certificate(sluice)
    assert first == ssl.PEM_cert_to_DER_cert(sluice.cert.read_text())
    # A session that started TLS before the reload keeps working.
    with sluice.raw() as old:
        old.greet()
        old.expect("STARTTLS", 220)
        tls_over(old)
        cert, key = make_tls_material(tmp_path / "new")
        sluice.cert.write_bytes(cert.read_bytes())
        (sluice.cert.parent / "key.pem").write_bytes(key.read_bytes())
        sluice.proc.send_signal(signal.SIGHUP)
        wait_for_log(sluice, "event=reloaded")
        second = peer_certificate(sluice)
        assert second == ssl.PEM_cert_to_DER_cert(cert.read_text())
        assert second != first
        old.expect("EHLO client.test", 250)
        old.expect("NOOP", 250)


def test_unreadable_new_certificate_keeps_the_old_one(sluice):
    first = peer_certificate(sluice)
    sluice.cert.write_text("not a certificate\n")
    sluice.proc.send_signal(signal.SIGHUP)
    wait_for_log(sluice, "event=reloaded")
    assert "reason=keeping_current_certificate" in sluice.log_text()
    assert peer_certificate(sluice) == first
    with smtplib.SMTP(LOOPBACK, sluice.smtp_port,
                      local_hostname="client.test", timeout=30) as client:
        client.ehlo()
        assert "starttls" in client.esmtp_features
