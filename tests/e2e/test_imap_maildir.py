# test_imap_maildir.py: the Maildir is the truth and the index a cache.
# A lost index is rebuilt with the same UIDs and UIDVALIDITY; files that
# other programs drop into new/, remove, or rename to change :2,FLAGS
# show up in selected sessions as EXISTS, EXPUNGE and FETCH FLAGS, on
# NOOP and within imap.idle_poll during IDLE.

import os
import re
import time

import pytest

from imap_raw import RawImap, start_imap
from sluice_e2e import DEMO, chown_tree, make_message, unique_marker

IDLE_POLL = 1.0


@pytest.fixture
def server(sluice_binaries, tls_material):
    factory, instance = start_imap(tls_material, settings={
        "imap.idle_poll": f"{int(IDLE_POLL)}s"})
    yield instance
    factory.finish()


def session(instance):
    client = RawImap(instance.imap_port)
    client.login(DEMO)
    return client


def append(client, message, flags=""):
    data = message.encode() if isinstance(message, str) else message
    tag = client.tag()
    client.send(f"{tag} APPEND INBOX {flags} {{{len(data)}+}}\r\n".encode()
                + data + b"\r\n")
    untagged, tagged = client.until(tag)
    assert b" OK" in tagged, tagged
    return int(re.search(rb"APPENDUID \d+ (\d+)", tagged).group(1))


def drop_file(instance, marker):
    """What another delivery agent does: write in tmp/, rename to new/."""
    maildir = instance.maildir(DEMO)
    name = f"{int(time.time())}.{marker}.otherhost"
    tmp = maildir / "tmp" / name
    message = make_message(marker)
    tmp.write_bytes(message if isinstance(message, bytes)
                    else message.encode())
    chown_tree(maildir / "tmp")
    os.rename(tmp, maildir / "new" / name)
    return name


def files_with(instance, marker):
    maildir = instance.maildir(DEMO)
    found = []
    for sub in ("new", "cur"):
        for name in os.listdir(maildir / sub):
            if marker.encode() in (maildir / sub / name).read_bytes():
                found.append(maildir / sub / name)
    return found


def snapshot(client):
    untagged = client.ok("SELECT INBOX")
    validity = [l for l in untagged if b"UIDVALIDITY" in l][0]
    fetch = client.ok("UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS "
                      "(SUBJECT)])")
    return validity, sorted(fetch)


def test_index_loss_keeps_uids_and_uidvalidity(server):
    with session(server) as client:
        uids = [append(client, make_message(unique_marker("keep")),
                       flags) for flags in ("", "(\\Seen)", "(\\Flagged)")]
        client.ok("SELECT INBOX")
        client.ok(f"UID STORE {uids[0]} +FLAGS (\\Deleted)")
        client.ok("EXPUNGE")
        uids.append(append(client, make_message(unique_marker("keep"))))
        before = snapshot(client)
        client.ok("LOGOUT")
    assert len(before[1]) == 3
    server.stop()
    indexes = list(server.state_dir.rglob("sluice-index.db*"))
    assert indexes, list(server.state_dir.rglob("*"))
    for path in indexes:
        path.unlink()
    server.start()
    with session(server) as client:
        after = snapshot(client)
        assert after == before
        # New mail continues above the old UIDs.
        uid = append(client, make_message(unique_marker("keep")))
        assert uid > uids[-1]


def test_file_dropped_into_new_seen_on_noop(server):
    with session(server) as client:
        append(client, make_message(unique_marker("first")))
        untagged = client.ok("SELECT INBOX")
        assert b"* 1 EXISTS" in untagged, untagged
        marker = unique_marker("dropped")
        drop_file(server, marker)
        deadline = time.monotonic() + 5
        while True:
            untagged = client.ok("NOOP")
            if untagged or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert b"* 2 EXISTS" in untagged, untagged
        untagged = client.ok("FETCH 2 (UID BODY.PEEK[HEADER.FIELDS "
                             "(SUBJECT)])")
        assert marker.encode() in untagged[0], untagged


def idle_until(client, predicate, timeout):
    """IDLE, collecting untagged lines until predicate(lines); DONE."""
    tag = client.tag()
    client.send(f"{tag} IDLE\r\n")
    assert client.line().startswith(b"+")
    started = time.monotonic()
    lines = []
    client.sock.settimeout(timeout)
    try:
        while not predicate(lines):
            lines.append(client.line())
    finally:
        elapsed = time.monotonic() - started
        client.sock.settimeout(10)
        client.send(b"DONE\r\n")
        untagged, tagged = client.until(tag)
        assert b" OK" in tagged, tagged
        lines += untagged
    return lines, elapsed


def test_file_dropped_into_new_seen_by_idle(server):
    with session(server) as client:
        client.ok("SELECT INBOX")
        marker = unique_marker("idle")
        tag = client.tag()
        client.send(f"{tag} IDLE\r\n")
        assert client.line().startswith(b"+")
        started = time.monotonic()
        drop_file(server, marker)
        client.sock.settimeout(IDLE_POLL + 3)
        line = client.line()
        elapsed = time.monotonic() - started
        assert line == b"* 1 EXISTS", line
        assert elapsed < IDLE_POLL + 2.5, elapsed
        client.sock.settimeout(10)
        client.send(b"DONE\r\n")
        untagged, tagged = client.until(tag)
        assert b" OK" in tagged


def test_removed_file_shows_as_expunge(server):
    with session(server) as client:
        markers = [unique_marker("rm") for i in range(3)]
        for marker in markers:
            append(client, make_message(marker))
        client.ok("SELECT INBOX")
        for path in files_with(server, markers[1]):
            path.unlink()
        deadline = time.monotonic() + 5
        untagged = []
        while not untagged and time.monotonic() < deadline:
            untagged = client.ok("NOOP")
            time.sleep(0.1)
        assert untagged == [b"* 2 EXPUNGE"], untagged
        # And in IDLE.
        for path in files_with(server, markers[2]):
            path.unlink()
        lines, elapsed = idle_until(client, lambda l: l, IDLE_POLL + 3)
        assert lines[0] == b"* 2 EXPUNGE", lines
        untagged = client.ok("FETCH 1:* (BODY.PEEK[HEADER.FIELDS "
                             "(SUBJECT)])")
        assert len(untagged) == 1 and markers[0].encode() in untagged[0]


def rename_flags(path, flags):
    base = path.name.split(":", 1)[0]
    target = path.parent.parent / "cur" / f"{base}:2,{flags}"
    os.rename(path, target)
    return target


def test_renamed_flags_show_as_fetch_flags(server):
    with session(server) as client:
        markers = [unique_marker("fl") for i in range(2)]
        for marker in markers:
            append(client, make_message(marker))
        client.ok("SELECT INBOX")
        path, = files_with(server, markers[0])
        path = rename_flags(path, "FS")
        deadline = time.monotonic() + 5
        untagged = []
        while not untagged and time.monotonic() < deadline:
            untagged = client.ok("NOOP")
            time.sleep(0.1)
        assert len(untagged) == 1, untagged
        assert re.match(rb"\* 1 FETCH \(FLAGS \(([^)]*)\)\)", untagged[0])
        flags = set(re.search(rb"FLAGS \(([^)]*)\)", untagged[0])
                    .group(1).split())
        assert flags - {b"\\Recent"} == {b"\\Flagged", b"\\Seen"}, untagged
        # In IDLE: remove \Seen, add \Answered (R) on the second one.
        other, = files_with(server, markers[1])
        rename_flags(other, "R")
        lines, elapsed = idle_until(client, lambda l: l, IDLE_POLL + 3)
        assert lines[0].startswith(b"* 2 FETCH (FLAGS ("), lines
        assert b"\\Answered" in lines[0] and b"\\Seen" not in lines[0]
        untagged = client.ok("FETCH 1:2 (FLAGS)")
        assert b"\\Flagged" in untagged[0] and b"\\Answered" in untagged[1]
