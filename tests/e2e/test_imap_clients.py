# test_imap_clients.py: real IMAP clients against sluiced: mbsync (isync)
# syncing both ways with a local Maildir (plaintext: isync 1.4 does not
# match a certificate's IP address to Host 127.0.0.1), and fetchmail
# retrieving (and removing, or keeping and marking seen) over IMAP.
# neomutt is not driven here: its batch mode cannot run an IMAP session
# non-interactively in a reliable way (see the summary in the branch).

import imaplib
import os
import re
import subprocess
import time

import pytest

from imap_raw import client_context, imaplib_ok as ok, start_imap
from sluice_e2e import ALICE, DEMO, LOOPBACK, PASSWORDS, make_message, \
    unique_marker


@pytest.fixture(scope="module")
def server(sluice_binaries, tls_material):
    factory, instance = start_imap(tls_material)
    yield instance
    factory.finish()


def imap(instance, user):
    client = imaplib.IMAP4(LOOPBACK, instance.imap_port)
    client.starttls(ssl_context=client_context())
    client.login(user, PASSWORDS[user])
    return client


def as_bytes(message):
    return message if isinstance(message, bytes) else message.encode()


# mbsync.

MBSYNC_CONFIG = """\
IMAPAccount sluice
Host 127.0.0.1
Port {port}
User {user}
Pass {password}
SSLType None
PipelineDepth 4

IMAPStore far
Account sluice

MaildirStore near
Path {root}/mail/
Inbox {root}/mail/INBOX
SubFolders Verbatim

Channel sync
Far :far:
Near :near:
Patterns *
Create Both
Remove None
Expunge Both
Sync All
SyncState *
"""


class Mbsync:
    def __init__(self, instance, root, user):
        self.root = root
        self.config = root / "mbsyncrc"
        self.config.write_text(MBSYNC_CONFIG.format(
            port=instance.imap_port, user=user, password=PASSWORDS[user],
            cert=instance.cert, root=root))
        (root / "mail").mkdir()

    def run(self):
        result = subprocess.run(
            ["mbsync", "-c", str(self.config), "-V", "sync"],
            capture_output=True, text=True, timeout=30,
            env={**os.environ, "HOME": str(self.root)})
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout + result.stderr

    def folder(self, name):
        return self.root / "mail" / name

    def files(self):
        """{(folder, file name)} of every message file, near side."""
        found = set()
        for dirpath, dirnames, filenames in os.walk(self.root / "mail"):
            if os.path.basename(dirpath) in ("new", "cur"):
                for name in filenames:
                    found.add((os.path.relpath(dirpath, self.root / "mail"),
                               name))
        return found

    def message_file(self, folder, marker):
        for sub in ("new", "cur"):
            directory = self.folder(folder) / sub
            for name in os.listdir(directory):
                if marker.encode() in (directory / name).read_bytes():
                    return directory / name
        return None


def far_state(client):
    """{folder: sorted [(uid, flags, subject)]} on the sluice side."""
    state = {}
    for line in ok(client.list()):
        name = re.search(rb'"([^"]*)"$', line).group(1).decode()
        status, data = client.select(f'"{name}"', readonly=True)
        if status != "OK":
            continue
        status, data = client.uid("FETCH", "1:*", "(FLAGS BODY.PEEK"
                                  "[HEADER.FIELDS (SUBJECT)])")
        entries = []
        for item in data:
            if isinstance(item, tuple):
                uid = re.search(rb"UID (\d+)", item[0]).group(1)
                flags = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1)
                entries.append((int(uid), sorted(flags.split()),
                                item[1].strip()))
        state[name] = sorted(entries)
        client.close()
    return state


def far_flags(client, folder, marker):
    ok(client.select(folder))
    uids = ok(client.uid("SEARCH", None, "SUBJECT", marker))[0].split()
    if not uids:
        return None
    data = ok(client.uid("FETCH", uids[0], "(FLAGS)"))
    return set(re.search(rb"FLAGS \(([^)]*)\)", data[0]).group(1).split())


def test_mbsync_both_ways(server, tmp_path):
    marker_in = [server.send([ALICE], marker=unique_marker("mbs"))
                 for i in range(3)]
    for marker in marker_in:
        server.wait_for_messages(ALICE, 1, marker=marker)
    sync = Mbsync(server, tmp_path, ALICE)
    sync.run()
    # Delivered messages arrived, intact.
    for marker in marker_in:
        path = sync.message_file("INBOX", marker)
        assert path is not None, sync.files()
        delivered, = server.messages_with(ALICE, marker)
        # mbsync adds its own X-TUID tracking header.
        local = re.sub(rb"X-TUID: \S+\n", b"", path.read_bytes())
        assert local == delivered.replace(b"\r\n", b"\n")
    for name in ("Sent", "Trash", "Junk", "Drafts"):
        assert sync.folder(name).is_dir(), sync.files()

    # Local changes: flag one seen+flagged, delete one, add one, and
    # move one to Trash the way a Maildir client does (a new file in the
    # target, the old one gone).
    seen = sync.message_file("INBOX", marker_in[0])
    base = seen.name.split(":2,")[0]
    os.rename(seen, seen.parent.parent / "cur" / f"{base}:2,FS")
    os.unlink(sync.message_file("INBOX", marker_in[1]))
    moved = sync.message_file("INBOX", marker_in[2])
    target = sync.folder("Trash") / "cur" / \
        (f"{int(time.time())}.moved.local:2,S")
    target.write_bytes(moved.read_bytes())
    os.unlink(moved)
    local_marker = unique_marker("local")
    local_file = sync.folder("INBOX") / "new" / \
        f"{int(time.time())}.mine.local"
    local_file.write_bytes(as_bytes(make_message(local_marker, to=ALICE)))
    sync.run()

    client = imap(server, ALICE)
    assert far_flags(client, "INBOX", marker_in[0]) == \
        {b"\\Seen", b"\\Flagged"}
    assert far_flags(client, "INBOX", marker_in[1]) is None
    assert far_flags(client, "INBOX", marker_in[2]) is None
    assert far_flags(client, "Trash", marker_in[2]) == {b"\\Seen"}
    assert far_flags(client, "INBOX", local_marker) == set()
    # Server-side changes: a new folder with a message, a flag, a
    # deletion.
    ok(client.create("Projects"))
    project_marker = unique_marker("proj")
    ok(client.append("Projects", None, None,
                     as_bytes(make_message(project_marker, to=ALICE))))
    ok(client.select("INBOX"))
    uid = ok(client.uid("SEARCH", None, "SUBJECT", local_marker))[0]
    ok(client.uid("STORE", uid, "+FLAGS", r"(\Answered)"))
    uid = ok(client.uid("SEARCH", None, "SUBJECT", marker_in[0]))[0]
    ok(client.uid("STORE", uid, "+FLAGS", r"(\Deleted)"))
    ok(client.expunge())
    client.logout()
    sync.run()
    assert sync.message_file("Projects", project_marker) is not None
    assert sync.message_file("INBOX", marker_in[0]) is None
    answered = sync.message_file("INBOX", local_marker)
    assert answered.name.endswith(":2,R") or ":2,R" in answered.name, \
        answered

    # A run with nothing to do changes nothing on either side.
    client = imap(server, ALICE)
    far_before = far_state(client)
    near_before = sync.files()
    output = sync.run()
    assert sync.files() == near_before
    assert far_state(client) == far_before
    client.logout()
    # mbsync -V said only that it looked: equal counts on both sides
    # and no line about anything it propagated.
    counts = re.findall(r"(far|near) side: (\d+) messages", output)
    assert len(counts) == 2 * len(far_before), output
    for far, near in zip(counts[0::2], counts[1::2]):
        assert far[1] == near[1], output
    quiet = re.compile(r"^(Reading|Channel|Opening|Resolving|Connecting|"
                       r"Logging|Authenticating|Loading|Synchronizing|"
                       r"Maildir notice: sleeping|"
                       r"(far|near) side: \d+ messages, \d+ recent$|$)")
    noisy = [line for line in output.splitlines() if not quiet.match(line)]
    assert noisy == [], output


# fetchmail.

def fetchmail(instance, root, user, *options):
    out = root / "out"
    out.mkdir(exist_ok=True)
    rc = root / "fetchmailrc"
    rc.write_text(
        f'set invisible\n'
        f'poll 127.0.0.1 service {instance.imap_port} protocol IMAP\n'
        f'  user "{user}" there with password "{PASSWORDS[user]}"\n'
        f'  is "tester" here\n'
        f'  sslproto "auto" sslcertck sslcertfile "{instance.cert}"\n'
        f'  sslcommonname localhost\n'
        f'  mda "/bin/sh -c \'cat > {out}/msg.$$\'"\n')
    rc.chmod(0o600)
    result = subprocess.run(
        ["fetchmail", "--nodetach", "-f", str(rc), "-i",
         str(root / "idfile"), "--pidfile", str(root / "pid"), "-v",
         *options],
        capture_output=True, text=True, timeout=30,
        env={**os.environ, "HOME": str(root),
             "FETCHMAILHOME": str(root)})
    # 0: mail retrieved, 1: no mail.
    assert result.returncode in (0, 1), result.stdout + result.stderr
    messages = sorted(p.read_bytes() for p in out.iterdir())
    for p in out.iterdir():
        p.unlink()
    return result.returncode, messages, result.stdout + result.stderr


def test_fetchmail_keep_then_retrieve(server, tmp_path):
    markers = [server.send([DEMO], marker=unique_marker("fm"))
               for i in range(2)]
    delivered = [server.wait_for_messages(DEMO, 1, marker=m)[0]
                 for m in markers]
    client = imap(server, DEMO)
    ok(client.select("INBOX"))
    # Only the two new messages are unseen (fetchmail takes unseen ones).
    ok(client.store("1:*", "+FLAGS.SILENT", r"(\Seen)"))
    ok(client.select("INBOX"))
    for marker in markers:
        uid = ok(client.uid("SEARCH", None, "SUBJECT", marker))[0]
        ok(client.uid("STORE", uid, "-FLAGS.SILENT", r"(\Seen)"))
    total = len(ok(client.search(None, "ALL"))[0].split())
    client.logout()

    code, messages, output = fetchmail(server, tmp_path, DEMO, "--keep")
    assert code == 0, output
    assert "STARTTLS" in output, output
    wanted = sorted(m.replace(b"\r\n", b"\n") for m in delivered)
    assert messages == wanted, output
    client = imap(server, DEMO)
    ok(client.select("INBOX"))
    assert len(ok(client.search(None, "ALL"))[0].split()) == total
    for marker in markers:
        assert far_flags(client, "INBOX", marker) == {b"\\Seen"}
    client.logout()

    # Again without --keep but with --all: everything is fetched and
    # removed from the server.
    code, messages, output = fetchmail(server, tmp_path, DEMO, "--all")
    assert code == 0, output
    assert len(messages) == total
    for message in wanted:
        assert message in messages
    client = imap(server, DEMO)
    ok(client.select("INBOX"))
    assert ok(client.search(None, "ALL")) == [b""]
    client.logout()
    # And nothing is left to fetch.
    code, messages, output = fetchmail(server, tmp_path, DEMO, "--all")
    assert code == 1 and messages == [], output
