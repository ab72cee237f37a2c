# test_imap.py: the IMAP server with Python's imaplib, as a mail client
# would use it: plain + STARTTLS and implicit TLS, login rules, folders,
# APPEND/FETCH/STORE/SEARCH/COPY/MOVE/EXPUNGE with UIDPLUS and CONDSTORE,
# two sessions on one mailbox, IDLE seeing a delivery, and the parser's
# limits answered with BAD while the session stays usable.

import imaplib
import re
import socket
import ssl
import threading
import time

import pytest

from sluice_e2e import (ALICE, DEMO, LOOPBACK, PASSWORDS, SENDER, free_ports,
                        make_message, unique_marker)


@pytest.fixture(scope="module")
def imap_server(sluice_binaries, tls_material):
    from conftest import _Factory
    factory = _Factory(tls_material)
    plain, implicit = free_ports(2)
    instance = factory(settings={
        "imap.listen": f"{LOOPBACK}:{plain}",
        "imaps.listen": f"{LOOPBACK}:{implicit}",
        "imap.idle_poll": "1s",
    })
    instance.imap_port = plain
    instance.imaps_port = implicit
    yield instance
    factory.finish()


def client_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def connect(instance, user=DEMO):
    client = imaplib.IMAP4(LOOPBACK, instance.imap_port)
    client.login(user, PASSWORDS[user])
    return client


def ok(result):
    status, data = result
    assert status == "OK", data
    return data


def test_greeting_capabilities_and_starttls(imap_server):
    client = imaplib.IMAP4(LOOPBACK, imap_server.imap_port)
    caps = client.capabilities
    assert "IMAP4REV1" in caps and "STARTTLS" in caps and "IDLE" in caps
    client.starttls(ssl_context=client_context())
    ok(client.capability())
    ok(client.login(DEMO, PASSWORDS[DEMO]))
    caps = ok(client.capability())[0].decode().upper()
    for name in ("UIDPLUS", "MOVE", "CONDSTORE", "QUOTA", "SPECIAL-USE",
                 "NAMESPACE", "UNSELECT", "CHILDREN", "ID", "ENABLE"):
        assert name in caps, caps
    client.logout()


def test_implicit_tls_login(imap_server):
    client = imaplib.IMAP4_SSL(LOOPBACK, imap_server.imaps_port,
                               ssl_context=client_context())
    ok(client.login(ALICE, PASSWORDS[ALICE]))
    ok(client.select("INBOX"))
    client.logout()


def test_wrong_password_is_refused(imap_server):
    client = imaplib.IMAP4(LOOPBACK, imap_server.imap_port)
    with pytest.raises(imaplib.IMAP4.error):
        client.login(DEMO, "not the password")
    client.logout()


def test_default_folders_with_special_use(imap_server):
    client = connect(imap_server)
    folders = b"\n".join(ok(client.list()))
    for name, use in ((b"Drafts", rb"\Drafts"), (b"Sent", rb"\Sent"),
                      (b"Junk", rb"\Junk"), (b"Trash", rb"\Trash")):
        line = [l for l in folders.split(b"\n") if l.endswith(b'"' + name
                                                              + b'"')]
        assert line and use in line[0], folders
    assert re.search(rb'"INBOX"', folders)
    client.logout()


def test_create_rename_delete_and_utf7_names(imap_server):
    client = connect(imap_server)
    ok(client.create('"Projects.2026"'))
    ok(client.create('"Entw&APw-rfe"'))
    listing = b"\n".join(ok(client.list('""', '"*"')))
    assert b"Projects.2026" in listing and b"Entw&APw-rfe" in listing
    assert rb"\HasChildren" in [l for l in listing.split(b"\n")
                                if l.endswith(b'"Projects"')][0]
    ok(client.rename('"Projects.2026"', '"Projects.2027"'))
    status, data = client.delete('"Projects"')
    assert status == "NO"  # it has children
    ok(client.delete('"Projects.2027"'))
    ok(client.delete('"Entw&APw-rfe"'))
    status, data = client.create('"bad..name"')
    assert status == "NO"
    status, data = client.select('"No.Such.Folder"')
    assert status == "NO" and b"NONEXISTENT" in data[0]
    client.logout()


def test_append_fetch_store_search_expunge(imap_server):
    client = connect(imap_server)
    marker = unique_marker("imap")
    message = make_message(marker, to=DEMO,
                           body=f"Body line one\r\n{marker}\r\n")
    typ, data = client.append("INBOX", r"(\Flagged)", None, message)
    assert typ == "OK"
    appenduid = re.search(rb"APPENDUID (\d+) (\d+)", data[0])
    assert appenduid, data
    uid = appenduid.group(2).decode()
    ok(client.select("INBOX"))
    data = ok(client.uid("FETCH", uid,
                         "(FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS "
                         "(Subject)] BODY.PEEK[TEXT])"))
    text = b"".join(part if isinstance(part, bytes) else
                    b"".join(part) for part in data)
    assert rb"\Flagged" in text and marker.encode() in text
    assert f"RFC822.SIZE {len(message)}".encode() in text
    data = ok(client.uid("SEARCH", None, "BODY", marker))
    assert data[0].split() == [uid.encode()]
    ok(client.uid("STORE", uid, "+FLAGS", r"(\Deleted \Seen)"))
    data = ok(client.uid("FETCH", uid, "(FLAGS)"))
    assert rb"\Deleted" in data[0] and rb"\Seen" in data[0]
    typ, data = client.expunge()
    assert typ == "OK"
    assert ok(client.uid("SEARCH", None, "BODY", marker)) == [b""]
    client.logout()


def test_copy_and_move_report_copyuid(imap_server):
    client = connect(imap_server)
    marker = unique_marker("move")
    ok(client.append("INBOX", None, None, make_message(marker, to=DEMO)))
    ok(client.select("INBOX"))
    uid = ok(client.uid("SEARCH", None, "SUBJECT", marker))[0].decode()
    typ, data = client.uid("COPY", uid, "Trash")
    assert typ == "OK", data
    code, copyuid = client.response("COPYUID")
    assert copyuid and copyuid[0] and \
        re.match(rb"\d+ " + uid.encode() + rb" \d+$", copyuid[0]), copyuid
    typ, data = client._simple_command("UID", "MOVE", uid, "Junk")
    assert typ == "OK", data
    assert ok(client.uid("SEARCH", None, "SUBJECT", marker)) == [b""]
    ok(client.select("Junk"))
    assert ok(client.uid("SEARCH", None, "SUBJECT", marker))[0] != b""
    client.logout()


def test_two_sessions_see_each_others_changes(imap_server):
    first, second = connect(imap_server), connect(imap_server)
    ok(first.select("INBOX"))
    ok(second.select("INBOX"))
    marker = unique_marker("two")
    ok(first.append("INBOX", None, None, make_message(marker, to=DEMO)))
    typ, data = second.noop()
    assert typ == "OK"
    assert any(b"EXISTS" in (item or b"")
               for item in second.untagged_responses.get("EXISTS", [b""])
               ) or second.untagged_responses.get("EXISTS")
    uid = ok(first.uid("SEARCH", None, "SUBJECT", marker))[0].decode()
    ok(first.uid("STORE", uid, "+FLAGS", r"(\Deleted)"))
    ok(first.expunge())
    second.noop()
    assert second.untagged_responses.get("EXPUNGE"), \
        second.untagged_responses
    first.logout()
    second.logout()


def test_idle_sees_a_delivery_within_a_second(imap_server):
    client = connect(imap_server)
    ok(client.select("INBOX"))
    tag = client._new_tag().decode()
    client.send(f"{tag} IDLE\r\n".encode())
    assert client.readline().startswith(b"+")
    marker = unique_marker("idle")
    started = time.monotonic()
    imap_server.send([DEMO], marker=marker)
    client.sock.settimeout(5)
    line = client.readline()
    while b"EXISTS" not in line:
        line = client.readline()
    assert time.monotonic() - started < 3.0
    client.send(b"DONE\r\n")
    while not client.readline().startswith(tag.encode()):
        pass
    client.logout()


def test_parser_limits_answer_bad_and_keep_the_session(imap_server):
    with socket.create_connection((LOOPBACK, imap_server.imap_port)) as s:
        reader = s.makefile("rb")
        assert reader.readline().startswith(b"* OK")
        s.sendall(b"a1 " + b"X" * 20000 + b"\r\n")
        assert b"BAD" in reader.readline()
        s.sendall(b"a2 APPEND INBOX {999999999999}\r\n")
        assert reader.readline().startswith(b"a2 ")
        s.sendall(b"a3 NOOP\r\n")
        assert reader.readline().startswith(b"a3 OK")
        s.sendall(b"a4 SELECT ../etc\r\n")
        assert reader.readline().startswith(b"a4 ")


def test_quota_reported(imap_server):
    imap_server.cli("user", "quota", DEMO, "10M")
    client = connect(imap_server)
    typ, data = client.getquotaroot("INBOX")
    assert typ == "OK"
    text = b" ".join(d if isinstance(d, bytes) else b" ".join(d)
                     for d in sum(data, []))
    assert b"STORAGE" in text and b"10240" in text
    client.logout()
