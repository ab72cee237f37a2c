# test_imap_protocol.py: IMAP error paths and the less common commands,
# checked byte by byte as a client sees them: LOGINDISABLED before
# STARTTLS, the pipelined-after-STARTTLS injection, literal limits, bad
# mailbox names, the BAD-command limit, AUTHENTICATE PLAIN, two sessions
# and when EXPUNGE may be reported, CONDSTORE, UID EXPUNGE, SEARCH,
# BODYSTRUCTURE, partial fetches, LIST patterns, STATUS, RENAME INBOX.

import base64
import re
import time

import pytest

from imap_raw import RawImap, client_context, start_imap
from sluice_e2e import ALICE, DEMO, LOOPBACK, PASSWORDS, free_ports, \
    make_message, unique_marker

MAX_LITERAL = 4096
MAX_BAD = 5


@pytest.fixture(scope="module")
def server(sluice_binaries, tls_material):
    factory, instance = start_imap(tls_material, settings={
        "imap.max_literal_size": str(MAX_LITERAL),
        "imap.max_bad_commands": str(MAX_BAD),
    })
    yield instance
    factory.finish()


@pytest.fixture(scope="module")
def strict_server(sluice_binaries, tls_material):
    """Plaintext login allowed from nowhere."""
    factory, instance = start_imap(tls_material, settings={
        "auth.plaintext_networks": "",
    })
    yield instance
    factory.finish()


def session(instance, user=DEMO):
    client = RawImap(instance.imap_port)
    client.login(user)
    return client


def append(client, mailbox, message, flags=""):
    if isinstance(message, str):
        message = message.encode()
    tag = client.tag()
    client.send(f"{tag} APPEND {mailbox} {flags} {{{len(message)}+}}\r\n"
                .encode() + message + b"\r\n")
    untagged, tagged = client.until(tag)
    assert b" OK" in tagged, tagged
    match = re.search(rb"APPENDUID (\d+) (\d+)", tagged)
    assert match, tagged
    return int(match.group(2))


def tagged_status(tagged):
    return tagged.split(b" ")[1]


# Login before TLS.

def test_logindisabled_until_starttls(strict_server):
    with RawImap(strict_server.imap_port) as client:
        untagged, tagged = client.command("CAPABILITY")
        caps = untagged[0].upper()
        assert b"LOGINDISABLED" in caps and b"STARTTLS" in caps
        assert b"AUTH=PLAIN" not in caps
        untagged, tagged = client.command(
            f'LOGIN "{DEMO}" "{PASSWORDS[DEMO]}"')
        assert tagged_status(tagged) == b"NO", tagged
        untagged, tagged = client.command("AUTHENTICATE PLAIN")
        assert tagged_status(tagged) == b"NO", tagged
        client.starttls()
        untagged, tagged = client.command("CAPABILITY")
        assert b"LOGINDISABLED" not in untagged[0].upper()
        assert b"AUTH=PLAIN" in untagged[0].upper()
        client.login(DEMO)
        client.ok("SELECT INBOX")


def test_pipelined_command_after_starttls_is_discarded(server):
    with RawImap(server.imap_port) as client:
        client.send(b"a STARTTLS\r\nb CAPABILITY\r\n")
        line = client.line()
        assert line.startswith(b"a OK"), line
        client.reader.close()
        tls = client_context().wrap_socket(client.sock)
        reader = tls.makefile("rb")
        tls.sendall(b"c NOOP\r\n")
        line = reader.readline()
        # The injected b must not be answered after the handshake either.
        assert line.startswith(b"c OK"), line
        tls.close()


# Literals.

def test_synchronizing_literal_over_limit_refused_before_data(server):
    with session(server) as client:
        client.send(f"a1 APPEND INBOX {{{MAX_LITERAL + 1}}}\r\n")
        line = client.line()
        assert line.startswith(b"a1 ") and not line.startswith(b"+"), line
        assert tagged_status(line) in (b"NO", b"BAD"), line
        assert b"TOOBIG" in line or b"too" in line.lower(), line
        client.ok("NOOP")


def test_nonsynchronizing_literal_over_limit_bad_and_in_sync(server):
    with session(server) as client:
        body = b"X" * (MAX_LITERAL + 100)
        client.send(f"a1 APPEND INBOX {{{len(body)}+}}\r\n".encode()
                    + body + b"\r\n")
        untagged, tagged = client.until("a1")
        assert tagged_status(tagged) == b"BAD", tagged
        # The literal's bytes were skipped, not parsed as commands.
        untagged, tagged = client.command("NOOP")
        assert b" OK NOOP" in tagged, (untagged, tagged)
        assert not any(b"BAD" in line for line in untagged), untagged


# Mailbox names.

@pytest.mark.parametrize("name", [b'"a..b"', b'"../etc"', b'"a/b"',
                                  b'"/etc"', b"{3+}\r\na\x01b"])
def test_bad_mailbox_names_refused(server, name):
    with session(server) as client:
        tag = client.tag()
        client.send(tag.encode() + b" CREATE " + name + b"\r\n")
        untagged, tagged = client.until(tag)
        assert tagged_status(tagged) in (b"NO", b"BAD"), tagged
        untagged, tagged = client.command('LIST "" "*"')
        names = b"\n".join(untagged)
        assert b"etc" not in names and b"\x01" not in names
        assert b'"a/b"' not in names and b"a..b" not in names


def test_too_many_bad_commands_close_with_bye(server):
    with session(server) as client:
        for i in range(MAX_BAD - 1):
            untagged, tagged = client.command("FROB")
            assert tagged_status(tagged) == b"BAD"
        client.send(b"x FROB\r\n")
        lines = []
        while True:
            try:
                lines.append(client.line())
            except (EOFError, OSError):
                break
        assert any(line.startswith(b"* BYE") for line in lines), lines


# AUTHENTICATE PLAIN.

def plain(user):
    return base64.b64encode(
        f"\0{user}\0{PASSWORDS[user]}".encode()).decode()


def test_authenticate_plain_initial_response(server):
    with RawImap(server.imap_port) as client:
        client.ok(f"AUTHENTICATE PLAIN {plain(DEMO)}")
        client.ok("SELECT INBOX")


def test_authenticate_plain_continuation_and_cancel(server):
    with RawImap(server.imap_port) as client:
        client.send(b"a1 AUTHENTICATE PLAIN\r\n")
        assert client.line().startswith(b"+")
        client.send(b"*\r\n")
        line = client.line()
        assert line.startswith(b"a1 BAD"), line
        client.send(b"a2 AUTHENTICATE PLAIN\r\n")
        assert client.line().startswith(b"+")
        client.send(plain(ALICE).encode() + b"\r\n")
        untagged, tagged = client.until("a2")
        assert tagged.startswith(b"a2 OK"), tagged
        client.ok("SELECT INBOX")


def test_authenticate_plain_wrong_password(server):
    with RawImap(server.imap_port) as client:
        wrong = base64.b64encode(f"\0{DEMO}\0nope".encode()).decode()
        untagged, tagged = client.command(f"AUTHENTICATE PLAIN {wrong}")
        assert tagged_status(tagged) == b"NO", tagged
        untagged, tagged = client.command("SELECT INBOX")
        assert tagged_status(tagged) == b"BAD", tagged


# Two sessions on one mailbox.

def test_expunge_reported_only_when_allowed(server):
    first, second = session(server), session(server)
    marker = unique_marker("exp")
    first.ok(f"CREATE Exp{marker}")
    for i in range(3):
        append(first, f"Exp{marker}", make_message(f"{marker}-{i}"))
    first.ok(f"SELECT Exp{marker}")
    second.ok(f"SELECT Exp{marker}")
    first.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    first.ok("EXPUNGE")
    for command in ("FETCH 1:* (FLAGS)", "STORE 1 +FLAGS (\\Seen)",
                    "SEARCH ALL"):
        untagged, tagged = second.command(command)
        assert b" OK" in tagged, tagged
        assert not any(l.endswith(b"EXPUNGE") for l in untagged), \
            (command, untagged)
    # Sequence numbers have not moved: 3 is still the third message (the
    # expunged one may or may not match).
    untagged, tagged = second.command("SEARCH ALL")
    assert untagged[-1] in (b"* SEARCH 1 2 3", b"* SEARCH 1 3"), untagged
    untagged = second.ok("NOOP")
    assert b"* 2 EXPUNGE" in untagged, untagged
    untagged = second.ok("SEARCH ALL")
    assert untagged[-1] == b"* SEARCH 1 2", untagged
    # UID commands are reported immediately (RFC 3501 7.4.1 allows it).
    first.ok("UID STORE 1:* +FLAGS.SILENT (\\Flagged)")
    untagged = second.ok("NOOP")
    flagged = [l for l in untagged if b"FETCH" in l]
    assert len(flagged) == 2 and all(b"\\Flagged" in l for l in flagged), \
        untagged
    first.close()
    second.close()


# CONDSTORE and UID EXPUNGE.

def test_condstore_modseq_and_unchangedsince(server):
    with session(server) as client:
        marker = unique_marker("cs")
        client.ok(f"CREATE Cs{marker}")
        append(client, f"Cs{marker}", make_message(marker + "a"))
        append(client, f"Cs{marker}", make_message(marker + "b"))
        untagged = client.ok("ENABLE CONDSTORE")
        assert b"* ENABLED CONDSTORE" in untagged, untagged
        untagged = client.ok(f"SELECT Cs{marker}")
        assert any(b"HIGHESTMODSEQ" in l for l in untagged), untagged
        untagged = client.ok("FETCH 1:2 (UID FLAGS)")
        modseqs = [int(re.search(rb"MODSEQ \((\d+)\)", l).group(1))
                   for l in untagged]
        assert len(modseqs) == 2 and all(m > 0 for m in modseqs)
        untagged = client.ok(f"STORE 1 (UNCHANGEDSINCE {max(modseqs)}) "
                             "+FLAGS (\\Seen)")
        new = int(re.search(rb"MODSEQ \((\d+)\)", untagged[0]).group(1))
        assert new > modseqs[0]
        untagged, tagged = client.command(
            f"STORE 1,2 (UNCHANGEDSINCE {max(modseqs)}) "
            "+FLAGS (\\Answered)")
        assert b"[MODIFIED 1]" in tagged, (untagged, tagged)
        flags = client.ok("FETCH 1:2 (FLAGS)")
        assert b"\\Answered" not in flags[0] and b"\\Answered" in flags[1]
        untagged = client.ok(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {new})")
        assert len(untagged) == 1 and b"\\Answered" in untagged[0], untagged


def test_uid_expunge_removes_only_named_uids(server):
    with session(server) as client:
        marker = unique_marker("ue")
        client.ok(f"CREATE Ue{marker}")
        uids = [append(client, f"Ue{marker}", make_message(f"{marker}{i}"))
                for i in range(3)]
        client.ok(f"SELECT Ue{marker}")
        client.ok("STORE 1:3 +FLAGS.SILENT (\\Deleted)")
        untagged = client.ok(f"UID EXPUNGE {uids[1]}")
        assert untagged == [b"* 2 EXPUNGE"], untagged
        untagged = client.ok("UID SEARCH ALL")
        assert untagged[-1] == f"* SEARCH {uids[0]} {uids[2]}".encode()


# SEARCH, BODYSTRUCTURE, partial fetch.

MULTIPART = (
    "From: Sender <sender@remote.test>\r\n"
    "To: demo@example.test\r\n"
    "Subject: {subject}\r\n"
    "Date: Mon, 02 Mar 2026 10:00:00 +0000\r\n"
    "X-Colour: {colour}\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--XYZ\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "0123456789abcdefghij {word}\r\n"
    "--XYZ\r\n"
    "Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Disposition: attachment; filename=\"a.bin\"\r\n"
    "\r\n"
    "AAECAwQF\r\n"
    "--XYZ--\r\n")


@pytest.fixture(scope="module")
def search_folder(server):
    client = session(server)
    marker = unique_marker("se")
    folder = f"Se{marker}"
    client.ok(f"CREATE {folder}")
    uids = []
    for i, colour in enumerate(("red", "green", "blue")):
        message = MULTIPART.format(subject=f"{marker} number {i}",
                                   colour=colour, word=f"word{i}")
        if i == 2:
            message += "Z" * 3000 + "\r\n"
        uids.append(append(client, folder, message))
    client.ok(f"SELECT {folder}")
    yield client, uids
    client.close()


def search(client, criteria):
    untagged = client.ok(f"UID SEARCH {criteria}")
    line = [l for l in untagged if l.startswith(b"* SEARCH")][0]
    return [int(n) for n in line.split()[2:]]


def test_search_keys(search_folder):
    client, uids = search_folder
    assert search(client, "ALL") == uids
    assert search(client, "HEADER X-Colour green") == [uids[1]]
    assert search(client, "OR HEADER X-Colour red HEADER X-Colour blue") \
        == [uids[0], uids[2]]
    assert search(client, "NOT HEADER X-Colour red") == uids[1:]
    assert search(client, "LARGER 2000") == [uids[2]]
    assert search(client, "TEXT word1") == [uids[1]]
    assert search(client, "SINCE 1-Jan-2000") == uids
    assert search(client, "SENTBEFORE 1-Jan-2000") == []
    assert search(client, "SENTON 2-Mar-2026") == uids
    assert search(client, f"UID {uids[1]}:*") == uids[1:]
    assert search(client, f"UID {uids[0]},{uids[2]} NOT LARGER 2000") == \
        [uids[0]]
    assert search(client, "2:3 OR SUBJECT \"number 2\" TEXT word1") == \
        uids[1:]


def test_bodystructure_of_multipart(search_folder):
    client, uids = search_folder
    untagged = client.ok(f"UID FETCH {uids[0]} (BODYSTRUCTURE)")
    text = untagged[0]
    assert re.search(rb'\(\("TEXT" "PLAIN" \("CHARSET" "us-ascii"\) NIL NIL'
                     rb' "7BIT" \d+ 1', text, re.IGNORECASE), text
    assert re.search(rb'\("APPLICATION" "OCTET-STREAM" \("NAME" "a.bin"\) '
                     rb'NIL NIL "BASE64" 8', text, re.IGNORECASE), text
    assert re.search(rb'"MIXED" \("BOUNDARY" "XYZ"\)', text,
                     re.IGNORECASE), text
    assert re.search(rb'\("ATTACHMENT" \("FILENAME" "a.bin"\)\)', text,
                     re.IGNORECASE), text


def test_partial_body_section(search_folder):
    client, uids = search_folder
    untagged = client.ok(f"UID FETCH {uids[0]} (BODY.PEEK[1]<0.10>)")
    assert b"BODY[1]<0> {10}\r\n0123456789" in untagged[0], untagged
    untagged = client.ok(f"UID FETCH {uids[0]} (BODY.PEEK[1]<10.5>)")
    assert b"BODY[1]<10> {5}\r\nabcde" in untagged[0], untagged
    untagged = client.ok(f"UID FETCH {uids[0]} (BODY.PEEK[2]<0.1000>)")
    # The CRLF before a boundary belongs to the boundary.
    assert b"BODY[2]<0> {8}\r\nAAECAwQF)" in untagged[0], untagged
    untagged = client.ok(f"UID FETCH {uids[0]} (BODY.PEEK[1.MIME])")
    assert b"Content-Type: text/plain" in untagged[0], untagged
    untagged = client.ok(f"UID FETCH {uids[0]} (FLAGS)")
    assert b"\\Seen" not in untagged[0]


# LIST, STATUS, RENAME INBOX.

def test_list_patterns(server):
    with session(server, ALICE) as client:
        marker = unique_marker("l")
        for name in (f"L{marker}", f"L{marker}.a", f"L{marker}.a.b",
                     f"L{marker}.c"):
            client.ok(f'CREATE "{name}"')

        def names(pattern):
            untagged = client.ok(f'LIST "" "{pattern}"')
            return sorted(re.search(rb'"([^"]*)"$', l).group(1).decode()
                          for l in untagged)
        assert names(f"L{marker}.%") == [f"L{marker}.a", f"L{marker}.c"]
        assert names(f"L{marker}.*") == [f"L{marker}.a", f"L{marker}.a.b",
                                         f"L{marker}.c"]
        assert names(f"L{marker}*") == [f"L{marker}", f"L{marker}.a",
                                        f"L{marker}.a.b", f"L{marker}.c"]
        top = names("%")
        assert f"L{marker}" in top and "INBOX" in top
        assert not any("." in n for n in top), top
        untagged = client.ok('LIST "" ""')
        assert untagged == [b'* LIST (\\Noselect) "." ""'], untagged


def test_status(server):
    with session(server, ALICE) as client:
        marker = unique_marker("st")
        client.ok(f"CREATE St{marker}")
        first = append(client, f"St{marker}", make_message(marker + "1"),
                       "(\\Seen)")
        append(client, f"St{marker}", make_message(marker + "2"))
        untagged = client.ok(f"STATUS St{marker} (MESSAGES RECENT UIDNEXT "
                             "UIDVALIDITY UNSEEN HIGHESTMODSEQ)")
        line = untagged[0]
        assert re.match(f'\\* STATUS "?St{marker}"? \\('.encode(), line), \
            line
        assert b"MESSAGES 2" in line and b"UNSEEN 1" in line, line
        assert f"UIDNEXT {first + 2}".encode() in line, line
        assert re.search(rb"UIDVALIDITY \d+", line), line
        assert re.search(rb"HIGHESTMODSEQ \d+", line), line


def test_rename_inbox_moves_messages(sluice_factory):
    port, = free_ports(1)
    instance = sluice_factory(settings={"imap.listen":
                                        f"{LOOPBACK}:{port}"})
    with RawImap(port) as client:
        client.login(DEMO)
        append(client, "INBOX", make_message("r1"))
        append(client, "INBOX", make_message("r2"))
        client.ok("RENAME INBOX Old-Inbox")
        untagged = client.ok("STATUS INBOX (MESSAGES)")
        assert b"MESSAGES 0" in untagged[0], untagged
        untagged = client.ok("STATUS Old-Inbox (MESSAGES)")
        assert b"MESSAGES 2" in untagged[0], untagged
        untagged = client.ok("SELECT Old-Inbox")
        untagged = client.ok("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert b"r1" in untagged[0] and b"r2" in untagged[1]
        untagged = client.ok('LIST "" "*"')
        assert any(l.endswith(b'"INBOX"') for l in untagged), untagged
    # A new delivery lands in the new, empty INBOX.
    instance.send([DEMO], marker="after-rename")
    with RawImap(port) as client:
        client.login(DEMO)
        client.ok("SELECT INBOX")
        untagged = client.ok("SEARCH ALL")
        deadline = time.monotonic() + 5
        while untagged[-1] == b"* SEARCH" and time.monotonic() < deadline:
            time.sleep(0.1)
            untagged = client.ok("SEARCH ALL")
        assert untagged[-1] == b"* SEARCH 1", untagged
