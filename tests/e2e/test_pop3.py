# test_pop3.py: the POP3 server with Python's poplib and with fetchmail:
# plain + STLS and implicit TLS, every command (TOP, UIDL stable across
# sessions), DELE+QUIT removing and DELE+RSET or a dropped connection
# not, the [IN-USE] lock, AUTH PLAIN, refusal before TLS outside
# auth.plaintext_networks, bad commands and overlong lines, a message
# larger than one output slice, and fetchmail retrieving and deleting.

import base64
import os
import poplib
import socket
import ssl
import subprocess
import time

import pytest

from sluice_e2e import (ALICE, DEMO, LOOPBACK, PASSWORDS, chown_tree,
                        free_ports, unique_marker)


@pytest.fixture(scope="module")
def pop3_server(sluice_binaries, tls_material):
    from conftest import _Factory
    factory = _Factory(tls_material)
    plain, implicit = free_ports(2)
    instance = factory(settings={
        "pop3.listen": f"{LOOPBACK}:{plain}",
        "pop3s.listen": f"{LOOPBACK}:{implicit}",
    })
    instance.pop3_port = plain
    instance.pop3s_port = implicit
    yield instance
    factory.finish()


def client_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def connect(instance, user=DEMO):
    client = poplib.POP3(LOOPBACK, instance.pop3_port, timeout=15)
    client.user(user)
    client.pass_(PASSWORDS[user])
    return client


def empty_maildrop(instance, user=DEMO):
    client = connect(instance, user)
    count, _ = client.stat()
    for number in range(1, count + 1):
        client.dele(number)
    client.quit()


def deliver(instance, count, user=DEMO, body=None):
    markers = []
    for _ in range(count):
        marker = unique_marker("pop3")
        instance.send([user], marker=marker, body=body)
        instance.wait_for_messages(user, 1, marker=marker)
        markers.append(marker)
    return markers


class Raw:
    """A line-level POP3 client for what poplib will not send."""

    def __init__(self, port, tls=False):
        sock = socket.create_connection((LOOPBACK, port), timeout=15)
        if tls:
            sock = client_context().wrap_socket(sock)
        self.sock = sock
        self.file = sock.makefile("rb")
        self.greeting = self.line()

    def line(self):
        data = self.file.readline()
        assert data.endswith(b"\r\n"), data
        return data[:-2]

    def command(self, text):
        if isinstance(text, str):
            text = text.encode()
        self.sock.sendall(text + b"\r\n")
        return self.line()

    def multiline(self):
        lines = []
        while True:
            line = self.line()
            if line == b".":
                return lines
            lines.append(line[1:] if line.startswith(b"..") else line)

    def close(self):
        self.file.close()
        self.sock.close()

    def at_eof(self):
        return self.file.readline() == b""


def test_greeting_capa_and_stls(pop3_server):
    client = poplib.POP3(LOOPBACK, pop3_server.pop3_port, timeout=15)
    assert client.getwelcome() == b"+OK sluice POP3 ready"
    caps = client.capa()
    for name in ("TOP", "UIDL", "RESP-CODES", "USER", "SASL", "STLS"):
        assert name in caps, caps
    assert caps["SASL"] == ["PLAIN"]
    client.stls(context=client_context())
    caps = client.capa()
    assert "STLS" not in caps and "USER" in caps
    client.user(DEMO)
    assert client.pass_(PASSWORDS[DEMO]).startswith(b"+OK")
    client.quit()


def test_implicit_tls(pop3_server):
    client = poplib.POP3_SSL(LOOPBACK, pop3_server.pop3s_port,
                             context=client_context(), timeout=15)
    assert client.getwelcome() == b"+OK sluice POP3 ready"
    assert "STLS" not in client.capa()
    client.user(ALICE)
    client.pass_(PASSWORDS[ALICE])
    client.stat()
    client.quit()


def test_wrong_password_and_auth_code(pop3_server):
    client = poplib.POP3(LOOPBACK, pop3_server.pop3_port, timeout=15)
    client.user(DEMO)
    with pytest.raises(poplib.error_proto) as error:
        client.pass_("not the password")
    assert b"[AUTH]" in error.value.args[0]
    # The session may try again.
    client.user(DEMO)
    client.pass_(PASSWORDS[DEMO])
    client.quit()


def test_commands(pop3_server):
    empty_maildrop(pop3_server)
    body = ("first line\r\n.starts with a dot\r\nthird\r\n"
            "fourth\r\n")
    markers = deliver(pop3_server, 2, body=body)
    client = connect(pop3_server)
    count, octets = client.stat()
    assert count == 2
    response, listing, _ = client.list()
    sizes = [int(line.split()[1]) for line in listing]
    assert sum(sizes) == octets
    assert client.list(2).split()[1:] == [b"2", str(sizes[1]).encode()]
    response, lines, size = client.retr(1)
    assert response.startswith(b"+OK")
    text = b"\r\n".join(lines) + b"\r\n"
    assert markers[0].encode() in text
    assert b"\r\n.starts with a dot\r\n" in text
    # Octets as counted with CRLF line ends, as LIST said.
    assert len(text) == sizes[0]
    response, lines, _ = client.top(2, 1)
    assert lines[-1] == b"first line", lines
    assert b"" in lines and markers[1].encode() in b"\n".join(lines)
    response, lines, _ = client.top(2, 0)
    assert lines[-1] == b""
    response, lines, _ = client.top(2, 2)
    assert lines[-1] == b".starts with a dot"
    uidl = client.uidl()[1]
    assert len(uidl) == 2 and client.uidl(1).split()[2] == \
        uidl[0].split()[1]
    assert client.noop().startswith(b"+OK")
    with pytest.raises(poplib.error_proto):
        client.retr(3)
    with pytest.raises(poplib.error_proto):
        client.retr(0)
    client.quit()
    # UIDL is stable across sessions, and RETR set \Seen (the file
    # name says S).
    client = connect(pop3_server)
    assert client.uidl()[1] == uidl
    client.quit()
    seen = [name for name in os.listdir(pop3_server.maildir(DEMO) / "cur")
            if name.endswith("S") and ":2," in name]
    assert seen


def test_dele_quit_removes_rset_and_drop_do_not(pop3_server):
    empty_maildrop(pop3_server)
    markers = deliver(pop3_server, 3)
    # DELE then RSET: nothing goes.
    client = connect(pop3_server)
    client.dele(1)
    with pytest.raises(poplib.error_proto):
        client.retr(1)
    assert client.stat()[0] == 2
    client.rset()
    assert client.stat()[0] == 3
    client.quit()
    # DELE then a dropped connection: nothing goes.
    client = connect(pop3_server)
    client.dele(1)
    client.dele(2)
    client.sock.shutdown(socket.SHUT_RDWR)
    client.close()
    time.sleep(0.3)
    client = connect(pop3_server)
    assert client.stat()[0] == 3
    uidl = client.uidl()[1]
    # DELE then QUIT: gone, the others keep their UIDs.
    client.dele(2)
    assert b"(1 messages deleted)" in client.quit()
    client = connect(pop3_server)
    assert client.stat()[0] == 2
    after = client.uidl()[1]
    assert [line.split()[1] for line in after] == \
        [uidl[0].split()[1], uidl[2].split()[1]]
    client.quit()
    assert not pop3_server.messages_with(DEMO, markers[1])
    assert pop3_server.messages_with(DEMO, markers[0])


def test_second_session_is_in_use(pop3_server):
    first = connect(pop3_server)
    second = poplib.POP3(LOOPBACK, pop3_server.pop3_port, timeout=15)
    second.user(DEMO)
    with pytest.raises(poplib.error_proto) as error:
        second.pass_(PASSWORDS[DEMO])
    assert b"[IN-USE]" in error.value.args[0]
    second.quit()
    first.quit()
    # Released at QUIT.
    connect(pop3_server).quit()


def test_auth_plain(pop3_server):
    token = base64.b64encode(f"\0{DEMO}\0{PASSWORDS[DEMO]}".encode())
    raw = Raw(pop3_server.pop3_port)
    assert raw.command(b"AUTH PLAIN " + token).startswith(b"+OK")
    assert raw.command("STAT").startswith(b"+OK")
    assert raw.command("QUIT").startswith(b"+OK")
    raw.close()
    # With the "+ " continuation, and cancelled with "*".
    raw = Raw(pop3_server.pop3_port)
    assert raw.command("AUTH PLAIN") == b"+ "
    assert raw.command("*").startswith(b"-ERR")
    assert raw.command("AUTH PLAIN") == b"+ "
    assert raw.command(token).startswith(b"+OK")
    raw.command("QUIT")
    raw.close()
    raw = Raw(pop3_server.pop3_port)
    bad = base64.b64encode(f"\0{DEMO}\0wrong".encode())
    assert raw.command(b"AUTH PLAIN " + bad).startswith(b"-ERR [AUTH]")
    assert raw.command("AUTH CRAM-MD5").startswith(b"-ERR")
    raw.command("QUIT")
    raw.close()


def test_bad_commands_and_long_lines(pop3_server):
    raw = Raw(pop3_server.pop3_port)
    assert raw.command("STAT").startswith(b"-ERR")  # not yet
    assert raw.command(b"X" * 600) == b"-ERR line too long"
    # Still in step: the next command gets its own answer.
    assert raw.command("CAPA").startswith(b"+OK")
    raw.multiline()
    assert raw.command("USER " + DEMO).startswith(b"+OK")
    assert raw.command("PASS " + PASSWORDS[DEMO]).startswith(b"+OK")
    assert raw.command("RETR x").startswith(b"-ERR")
    assert raw.command("TOP 1").startswith(b"-ERR")
    # Three bad commands so far (the long line, RETR x, TOP 1); the
    # tenth closes the session after its own answer.
    for _ in range(7):
        assert raw.command("BOGUS") == b"-ERR Unknown command"
    assert raw.line() == b"-ERR Too many bad commands"
    assert raw.at_eof()
    raw.close()


def test_pipelined_commands(pop3_server):
    raw = Raw(pop3_server.pop3_port)
    raw.sock.sendall(f"USER {DEMO}\r\nPASS {PASSWORDS[DEMO]}\r\nSTAT\r\n"
                     "NOOP\r\nQUIT\r\n".encode())
    answers = [raw.line() for _ in range(5)]
    assert all(a.startswith(b"+OK") for a in answers), answers
    raw.close()


def test_large_message_streams(pop3_server):
    """A message far larger than one output slice, put into the Maildir
    directly (SMTP's test-sized limit is smaller), arrives whole."""
    empty_maildrop(pop3_server, ALICE)
    marker = unique_marker("big")
    line = b"x" * 70 + b"\n"
    count = 6 * 1024 * 1024 // len(line)
    data = (f"Subject: {marker}\n\n.leading dot\n".encode() +
            line * count + b"no final newline")
    maildir = pop3_server.maildir(ALICE)
    path = maildir / "new" / f"{int(time.time())}.M1P1Q1.pop3test"
    path.write_bytes(data)
    chown_tree(maildir)
    client = connect(pop3_server, ALICE)
    assert client.stat()[0] == 1
    size = int(client.list(1).split()[2])
    response, lines, octets = client.retr(1)
    assert response.startswith(b"+OK")
    assert lines[0] == f"Subject: {marker}".encode()
    assert lines[2] == b".leading dot"
    assert sum(1 for l in lines if l == b"x" * 70) == count
    assert lines[-1] == b"no final newline"
    assert size == len(data) + data.count(b"\n")
    client.dele(1)
    client.quit()


def test_refused_before_tls_outside_plaintext_networks(sluice_factory):
    plain, implicit = free_ports(2)
    instance = sluice_factory(settings={
        "pop3.listen": f"{LOOPBACK}:{plain}",
        "pop3s.listen": f"{LOOPBACK}:{implicit}",
        "auth.plaintext_networks": "",
    })
    client = poplib.POP3(LOOPBACK, plain, timeout=15)
    caps = client.capa()
    assert "USER" not in caps and "SASL" not in caps and "STLS" in caps
    with pytest.raises(poplib.error_proto) as error:
        client.user(DEMO)
    assert b"[AUTH]" in error.value.args[0]
    raw_token = base64.b64encode(f"\0{DEMO}\0{PASSWORDS[DEMO]}".encode())
    with pytest.raises(poplib.error_proto):
        client._shortcmd("AUTH PLAIN " + raw_token.decode())
    client.stls(context=client_context())
    assert "USER" in client.capa()
    client.user(DEMO)
    client.pass_(PASSWORDS[DEMO])
    client.quit()
    client = poplib.POP3_SSL(LOOPBACK, implicit, context=client_context(),
                             timeout=15)
    client.user(DEMO)
    client.pass_(PASSWORDS[DEMO])
    client.quit()


def test_fetchmail_retrieves_and_deletes(pop3_server, tmp_path):
    empty_maildrop(pop3_server, ALICE)
    markers = deliver(pop3_server, 3, user=ALICE)
    out = tmp_path / "delivered"
    out.mkdir()
    rcfile = tmp_path / "fetchmailrc"
    rcfile.write_text(
        f"poll 127.0.0.1 service {pop3_server.pop3_port} protocol POP3 "
        f"user \"{ALICE}\" password \"{PASSWORDS[ALICE]}\" "
        f"sslproto '' "
        f"mda \"/bin/sh -c 'cat > {out}/msg-$$'\"\n")
    rcfile.chmod(0o600)
    env = dict(os.environ, FETCHMAILHOME=str(tmp_path),
               HOME=str(tmp_path))
    result = subprocess.run(
        ["fetchmail", "--nodetach", "--nosyslog", "-f", str(rcfile),
         "--idfile", str(tmp_path / "ids"), "--pidfile",
         str(tmp_path / "pid")],
        env=env, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    delivered = [p.read_bytes() for p in out.iterdir()]
    assert len(delivered) == 3, result.stderr.decode()
    for marker in markers:
        found = [m for m in delivered if marker.encode() in m]
        assert found, marker
        assert b"Subject: test " + marker.encode() in found[0]
    # Without --keep, fetchmail deleted them.
    client = connect(pop3_server, ALICE)
    assert client.stat()[0] == 0
    client.quit()
