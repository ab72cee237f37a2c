# imap_raw.py: a raw IMAP client for the e2e tests that must see the exact
# bytes a server sends (literals, untagged responses in order, TLS
# switches), which imaplib hides; plus the one-instance fixture factory.

import socket
import ssl

from sluice_e2e import LOOPBACK, PASSWORDS, free_ports


def client_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def start_imap(tls_material, settings=None, tls=True):
    """A _Factory and one sluiced with imap.listen (and imaps.listen with
    TLS) on fresh ports; the caller finishes the factory."""
    from conftest import _Factory
    factory = _Factory(tls_material)
    plain, implicit = free_ports(2)
    merged = {"imap.listen": f"{LOOPBACK}:{plain}", "imap.idle_poll": "1s"}
    if tls:
        merged["imaps.listen"] = f"{LOOPBACK}:{implicit}"
    merged.update(settings or {})
    instance = factory(settings=merged, tls=tls)
    instance.imap_port = plain
    instance.imaps_port = implicit
    return factory, instance


def imaplib_ok(result):
    """The data of an imaplib (status, data) result that must be OK."""
    status, data = result
    assert status == "OK", data
    return data


class RawImap:
    """One connection; lines are bytes without CRLF, literals are
    inlined as bytes after the line that announced them."""

    def __init__(self, port, timeout=10.0):
        self.sock = socket.create_connection((LOOPBACK, port),
                                             timeout=timeout)
        self.reader = self.sock.makefile("rb")
        self.counter = 0
        self.greeting = self.line()

    def close(self):
        try:
            self.reader.close()
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        """One response line; a trailing {N} literal is read and appended
        (CRLF kept before it) together with the rest of the line."""
        data = self.reader.readline()
        if not data:
            raise EOFError("server closed the connection")
        assert data.endswith(b"\r\n"), data
        data = data[:-2]
        while data.endswith(b"}") and b"{" in data:
            size = data[data.rindex(b"{") + 1:-1]
            if not size.isdigit():
                break
            literal = self.reader.read(int(size))
            rest = self.reader.readline()[:-2]
            data += b"\r\n" + literal + rest
        return data

    def tag(self):
        self.counter += 1
        return f"t{self.counter}"

    def command(self, text, tag=None):
        """Sends TAG text; returns (untagged lines, tagged line)."""
        tag = tag or self.tag()
        self.send(f"{tag} {text}\r\n")
        return self.until(tag)

    def until(self, tag):
        untagged = []
        while True:
            line = self.line()
            if line.startswith(tag.encode() + b" "):
                return untagged, line
            untagged.append(line)

    def ok(self, text):
        untagged, tagged = self.command(text)
        assert b" OK" in tagged[:len(tagged.split(b" ")[0]) + 3], \
            (text, untagged, tagged)
        return untagged

    def login(self, user, password=None):
        password = password or PASSWORDS[user]
        return self.ok(f'LOGIN "{user}" "{password}"')

    def starttls(self):
        self.ok("STARTTLS")
        self.reader.close()
        self.sock = client_context().wrap_socket(self.sock)
        self.reader = self.sock.makefile("rb")

    def at_eof(self):
        try:
            return self.reader.readline() == b""
        except (OSError, ssl.SSLError):
            return True
