# test_client_limits.py: per-client limits (connections open at once,
# new connections per minute, messages per connection) answered with
# 421 4.7.0 and logged; exempt networks; and the time limits of RFC 5321
# 4.5.3.2 (command, data block) plus the cap on a whole session.
# Loopback is an ordinary client here: it is not exempt by default.

import contextlib
import signal
import socket
import time

import pytest

from sluice_e2e import DEMO, SENDER, make_message, unique_marker


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


def settle(instance, timeout=10.0):
    """Waits until every session so far has ended (the start-up probe's
    included): with limits this low, a session still closing counts."""
    deadline = time.monotonic() + timeout
    while True:
        log = instance.log_text()
        if log.count("event=connect ") == log.count("event=disconnect "):
            return
        assert time.monotonic() < deadline, instance.log_tail()
        time.sleep(0.02)


def assert_refused(instance, kind):
    with instance.raw() as client:
        assert_reply(client.reply(), 421, "4.7.0")
        assert client.at_eof(), "no disconnect after 421"
    wait_for_log(instance, f"event=client_limit kind={kind} "
                           f"client=127.0.0.1")


def open_greeted(instance, count, stack):
    clients = []
    for _ in range(count):
        client = stack.enter_context(instance.raw())
        client.greet()
        clients.append(client)
    return clients


@pytest.mark.sluice_options(settings={"smtp.max_connections_per_ip": 3})
def test_concurrent_connections_per_ip(sluice):
    settle(sluice)
    with contextlib.ExitStack() as stack:
        clients = open_greeted(sluice, 3, stack)
        assert_refused(sluice, "concurrency")
        # One goes away: there is room again.
        clients[0].expect("QUIT", 221)
        assert clients[0].at_eof()
        deadline = time.monotonic() + 5
        while True:
            with sluice.raw() as client:
                code, _ = client.reply()
                if code == 220:
                    client.expect("EHLO client.test", 250)
                    break
            assert time.monotonic() < deadline, "slot never freed"
            time.sleep(0.05)
        for client in clients[1:]:
            client.expect("NOOP", 250)


def test_loopback_is_not_exempt_by_default(sluice):
    """With the shipped defaults (20 at once), the 21st connection from
    127.0.0.1 is refused like any other client's."""
    settle(sluice)
    with contextlib.ExitStack() as stack:
        open_greeted(sluice, 20, stack)
        assert_refused(sluice, "concurrency")


@pytest.mark.sluice_options(settings={"smtp.connection_rate_per_ip": 5,
                                      "smtp.max_connections_per_ip": 0})
def test_connection_rate_per_ip(sluice):
    # The fixture's start-up probe used one of the five already.
    accepted = 0
    for _ in range(10):
        with sluice.raw() as client:
            code, texts = client.reply()
            if code == 421:
                assert texts[0].startswith("4.7.0"), texts
                break
            assert code == 220
            accepted += 1
            client.expect("QUIT", 221)
    assert accepted == 4, f"accepted {accepted} before the 421"
    wait_for_log(sluice, "event=client_limit kind=rate client=127.0.0.1")
    # Refused attempts do not reset the bucket, but they do not get
    # through either: the next token is due only 12 s (a minute / 5)
    # after the first connection.
    assert_refused(sluice, "rate")


@pytest.mark.sluice_options(settings={
    "smtp.max_connections_per_ip": 1, "smtp.connection_rate_per_ip": 1,
    "smtp.limits_exempt": "192.0.2.0/24, 127.0.0.0/8, ::1"})
def test_exempt_networks_are_not_limited(sluice):
    with contextlib.ExitStack() as stack:
        clients = open_greeted(sluice, 5, stack)
        for client in clients:
            client.expect("NOOP", 250)
    assert "event=client_limit" not in sluice.log_text()


@pytest.mark.sluice_options(settings={"smtp.max_connections_per_ip": 1})
def test_limits_follow_a_reload(sluice):
    settle(sluice)
    with contextlib.ExitStack() as stack:
        open_greeted(sluice, 1, stack)
        assert_refused(sluice, "concurrency")
        sluice.settings["smtp.limits_exempt"] = "127.0.0.1"
        sluice.write_config()
        sluice.proc.send_signal(signal.SIGHUP)
        wait_for_log(sluice, "event=reloaded")
        open_greeted(sluice, 2, stack)


def test_bad_exempt_network_is_a_config_error(sluice_factory):
    instance = sluice_factory(start=False, accounts=False, settings={
        "smtp.limits_exempt": "127.0.0.1/33"})
    result = instance.cli("config", "check", check=False)
    assert result.returncode != 0
    assert "smtp.limits_exempt" in result.stderr + result.stdout


def ipv6_loopback_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not ipv6_loopback_available(), reason="no ::1")
def test_ipv6_client_is_limited(sluice_factory):
    instance = sluice_factory(start=False, settings={
        "smtp.max_connections_per_ip": 2})
    port = instance.smtp_port
    instance.settings["smtp.listen"] = f"127.0.0.1:{port}, [::1]:{port}"
    instance.write_config()
    instance.start()
    settle(instance)
    sockets = []
    try:
        for _ in range(3):
            s = socket.create_connection(("::1", port), timeout=10)
            sockets.append(s)
        assert sockets[0].recv(512).startswith(b"220")
        assert sockets[1].recv(512).startswith(b"220")
        assert sockets[2].recv(512).startswith(b"421 4.7.0")
    finally:
        for s in sockets:
            s.close()
    wait_for_log(instance, "kind=concurrency client=::1")
    # IPv4 loopback is another client.
    with instance.raw() as client:
        client.greet()


@pytest.mark.sluice_options(settings={
    "smtp.max_messages_per_connection": 2})
def test_messages_per_connection(sluice):
    marker = unique_marker("per-conn")
    with sluice.raw() as client:
        client.greet()
        for _ in range(2):
            client.expect(f"MAIL FROM:<{SENDER}>", 250)
            client.expect(f"RCPT TO:<{DEMO}>", 250)
            client.expect("DATA", 354)
            client.send(make_message(marker) + b".\r\n")
            assert_reply(client.reply(), 250)
        assert_reply(client.command(f"MAIL FROM:<{SENDER}>"), 421, "4.7.0")
        assert client.at_eof()
    wait_for_log(sluice, "event=client_limit kind=messages client=127.0.0.1")
    sluice.wait_for_messages(DEMO, 2, marker=marker)
    # A new connection starts counting again.
    with sluice.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)


# Time limits (RFC 5321 4.5.3.2).

@pytest.mark.sluice_options(settings={"smtp.timeout": "1s",
                                      "smtp.timeout_data_block": "4s"})
def test_data_block_timeout_applies_inside_data(sluice):
    """Inside DATA the data-block timeout applies, not the (here shorter)
    command timeout: a pause of 2 s between blocks is fine."""
    marker = unique_marker("slow-data")
    message = make_message(marker)
    with sluice.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        client.expect(f"RCPT TO:<{DEMO}>", 250)
        client.expect("DATA", 354)
        client.send(message[:40])
        time.sleep(2)
        client.send(message[40:] + b".\r\n")
        assert_reply(client.reply(), 250)
    sluice.wait_for_messages(DEMO, 1, marker=marker)


@pytest.mark.parametrize("chunked", [False, True], ids=["data", "bdat"])
@pytest.mark.sluice_options(settings={"smtp.timeout_data_block": "1s"})
def test_stalled_message_data_times_out_421_442(sluice, chunked):
    marker = unique_marker("stalled")
    with sluice.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        client.expect(f"RCPT TO:<{DEMO}>", 250)
        if chunked:
            client.send(b"BDAT 100000 LAST\r\n" + make_message(marker))
        else:
            client.expect("DATA", 354)
            client.send(make_message(marker))
        started = time.monotonic()
        assert_reply(client.reply(), 421, "4.4.2")
        assert time.monotonic() - started < 5
        assert client.at_eof()
    wait_for_log(sluice, "event=timeout kind=data")
    sluice.barrier()
    assert sluice.messages_with(DEMO, marker) == []


@pytest.mark.sluice_options(settings={"smtp.session_max_seconds": "2s"})
def test_session_cap_421_442_however_busy(sluice):
    started = time.monotonic()
    with sluice.raw() as client:
        client.greet()
        while True:
            code, texts = client.command("NOOP")
            if code != 250:
                break
            assert time.monotonic() - started < 6, "no session cap"
            time.sleep(0.2)
        assert_reply((code, texts), 421, "4.4.2")
        assert client.at_eof()
    assert time.monotonic() - started >= 1.9
    wait_for_log(sluice, "event=timeout kind=session")
