# test_lifecycle.py: what an admin sees when sluiced starts, reloads,
# stops and meets its limits: SIGHUP, SIGTERM with a client mid-DATA,
# idle timeouts, recipient and connection caps, refusing a second copy,
# and never serving the network as root.

import os
import signal
import socket
import subprocess
import time

import pytest

from sluice_e2e import (DEMO, SENDER, SLUICED, is_root, make_message,
                        unique_marker)


def wait_for_log(instance, text, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in instance.log_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} never logged\n" + instance.log_tail())


def test_sighup_reload_applies_new_limits(sluice):
    with sluice.raw() as client:
        client.greet()
        texts = client.expect("EHLO client.test", 250)
        assert "SIZE 1048576" in texts
    sluice.settings["smtp.max_message_size"] = "2048"
    sluice.write_config()
    sluice.proc.send_signal(signal.SIGHUP)
    wait_for_log(sluice, "event=reloaded")
    with sluice.raw() as client:
        client.greet()
        texts = client.expect("EHLO client.test", 250)
        assert "SIZE 2048" in texts
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        client.expect(f"RCPT TO:<{DEMO}>", 250)
        client.expect("DATA", 354)
        body = "x" * 4000 + "\r\n"
        client.send(make_message(unique_marker("big"), body=body)
                    + b".\r\n")
        code, texts = client.reply()
        assert code == 552 and texts[0].startswith("5.3.4"), texts


def test_sighup_with_broken_config_keeps_running(sluice):
    sluice.write_config(["smtp.max_recipients = many"])
    sluice.proc.send_signal(signal.SIGHUP)
    wait_for_log(sluice, "event=reload_failed")
    assert sluice.running
    marker = sluice.send()
    sluice.wait_for_messages(DEMO, 1, marker=marker)
    # Put the good file back so teardown's checks see a sane config.
    sluice.write_config()


def test_sigterm_lets_a_client_in_data_finish(sluice):
    marker = unique_marker("inflight")
    with sluice.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        client.expect(f"RCPT TO:<{DEMO}>", 250)
        client.expect("DATA", 354)
        client.send(make_message(marker))
        with sluice.raw() as idle:
            idle.greet()
            sluice.proc.send_signal(signal.SIGTERM)
            # An idle session is told at once; new ones are not accepted.
            code, texts = idle.reply()
            assert code == 421 and texts[0].startswith("4.3.2"), texts
        client.send(".\r\n")
        code, texts = client.reply()
        assert code == 250, texts
        code, texts = client.reply()
        assert code == 421, texts
        assert client.at_eof()
    assert sluice.proc.wait(timeout=20) == 0
    sluice.proc = None
    sluice.start()
    sluice.wait_for_messages(DEMO, 1, marker=marker)


@pytest.mark.sluice_options(settings={"smtp.timeout": "1s"})
def test_idle_client_gets_421_timeout(sluice):
    with sluice.raw() as client:
        client.greet()
        time.sleep(1.6)
        code, texts = client.reply()
        assert code == 421 and texts[0].startswith("4.4.2"), texts
        assert client.at_eof()


@pytest.mark.sluice_options(settings={"smtp.max_recipients": "2"})
def test_too_many_recipients_is_452(sluice):
    with sluice.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        client.expect(f"RCPT TO:<{DEMO}>", 250)
        client.expect("RCPT TO:<alice@example.test>", 250)
        code, texts = client.command("RCPT TO:<demo+more@example.test>")
        assert code == 452 and texts[0].startswith("4.5.3"), texts
        # The transaction goes on with the recipients it has.
        client.expect("DATA", 354)
        client.send(make_message(unique_marker("two")) + b".\r\n")
        assert client.reply()[0] == 250


@pytest.mark.sluice_options(settings={"smtp.max_connections": "2"})
def test_connection_cap_holds_the_third_until_one_leaves(sluice):
    first, second = sluice.raw(), sluice.raw()
    try:
        first.greet()
        second.greet()
        third = socket.create_connection(("127.0.0.1", sluice.smtp_port),
                                         timeout=5)
        third.settimeout(0.7)
        with pytest.raises(socket.timeout):
            third.recv(100)           # queued in the backlog, no banner
        first.expect("QUIT", 221)
        third.settimeout(5)
        assert third.recv(100).startswith(b"220 ")
        third.close()
    finally:
        first.close()
        second.close()


def test_second_instance_refuses_to_start(sluice):
    result = subprocess.run([str(SLUICED), "-f", "-c", str(sluice.config)],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 1
    assert "already_running" in result.stderr, result.stderr
    assert sluice.running


def test_bad_config_fails_start_with_one_line(sluice_factory):
    instance = sluice_factory()
    instance.write_config(["smtp.max_errors = 0"])
    result = subprocess.run([str(SLUICED), "-f", "-c", str(instance.config)],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert f"{instance.config}:" in lines[0]
    assert "smtp.max_errors" in lines[0]


@pytest.mark.skipif(not is_root(), reason="privilege drop needs root")
def test_serves_as_the_unprivileged_user(sluice):
    import pwd
    uid = pwd.getpwnam(sluice.settings["user"]).pw_uid
    status = open(f"/proc/{sluice.proc.pid}/status").read()
    ids = {line.split(":")[0]: line.split()[1:]
           for line in status.splitlines()}
    assert ids["Uid"] == [str(uid)] * 4, ids["Uid"]
    marker = sluice.send()
    message, = sluice.wait_for_messages(DEMO, 1, marker=marker)
    path = next(p for p in sluice.maildir(DEMO).glob("new/*"))
    assert os.stat(path).st_uid == uid


@pytest.mark.skipif(not is_root(), reason="needs root")
def test_root_without_user_refuses_to_start(sluice_factory):
    instance = sluice_factory(settings={"user": None})
    instance.write_config(["user = "])
    result = subprocess.run([str(SLUICED), "-f", "-c", str(instance.config)],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 1
    assert "needs user" in result.stderr, result.stderr


@pytest.mark.sluice_options(settings={"smtp.timeout": "2s",
                                      "smtp.max_connections": "1"})
def test_client_that_never_reads_loses_its_slot(sluice):
    """Pipelining megabytes of commands without reading the replies must
    neither spin the server nor hold the connection slot forever."""
    flood = socket.create_connection(("127.0.0.1", sluice.smtp_port),
                                     timeout=5)
    flood.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    flood.settimeout(0.5)
    try:
        try:
            for _ in range(300):
                flood.sendall(b"NOOP\r\n" * 4096)
        except (socket.timeout, OSError):
            pass                     # the server stopped reading: good
        proc_stat = f"/proc/{sluice.proc.pid}/stat"
        ticks = lambda: sum(int(x) for x in
                            open(proc_stat).read().split()[13:15])
        before = ticks()
        time.sleep(1.0)
        assert ticks() - before < 30, "sluiced spins while blocked"
        # The slot frees up: a new client gets its banner.
        deadline = time.monotonic() + 15
        while True:
            try:
                with sluice.raw(timeout=2) as client:
                    code, _ = client.reply()
                    assert code == 220
                    break
            except (socket.timeout, OSError, EOFError):
                assert time.monotonic() < deadline, \
                    "the stuck client kept its slot\n" + sluice.log_tail()
    finally:
        flood.close()


@pytest.mark.sluice_options(settings={"smtp.max_recipients": "3"})
def test_duplicate_recipients_count_toward_the_limit(sluice):
    instance = sluice
    with instance.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        for _ in range(3):
            client.expect(f"RCPT TO:<{DEMO}>", 250)
        code, texts = client.command(f"RCPT TO:<{DEMO}>")
        assert code == 452 and texts[0].startswith("4.5.3"), texts
        client.expect("DATA", 354)
        marker = unique_marker("dups")
        client.send(make_message(marker) + b".\r\n")
        assert client.reply()[0] == 250
    # Three RCPTs for one mailbox are one copy.
    instance.barrier()
    assert len(instance.messages_with(DEMO, marker)) == 1


@pytest.mark.skipif(not is_root(), reason="ownership hand-over needs root")
def test_planted_symlink_in_state_dir_is_not_chowned(sluice_factory,
                                                     tmp_path):
    instance = sluice_factory()
    assert instance.stop() == 0
    victim = tmp_path / "victim"
    victim.write_text("root's secret\n")
    os.chmod(victim, 0o600)
    os.chmod(tmp_path, 0o755)
    link = instance.state_dir / "sluice.db-wal"
    if link.exists():
        link.unlink()
    link.symlink_to(victim)
    # SQLite then refuses the database, so sluiced may not start; what
    # matters is that root never handed the link's target over.
    result = subprocess.run([str(SLUICED), "-f", "-c", str(instance.config)],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 1, result.stderr
    assert os.stat(victim).st_uid == 0, "sluiced chowned a symlink target"
    assert "ownership_skipped" in result.stderr, result.stderr
