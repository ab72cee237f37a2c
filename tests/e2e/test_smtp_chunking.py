# test_smtp_chunking.py: CHUNKING/BDAT (RFC 3030): chunks are raw octets
# of exactly the declared size, pipelined chunks work, refused chunks are
# still read so the session stays in sync, the size cap and bare-newline
# policy are those of DATA, and a message sent with BDAT is stored
# byte for byte as DATA would store it.

import pytest

from sluice_e2e import ALICE, DEMO, SENDER, make_message, unique_marker


def assert_reply(reply, code, enhanced=None):
    got, texts = reply
    assert got == code, f"expected {code}, got {got} {texts}"
    if enhanced is not None:
        assert texts[0].startswith(enhanced), texts


def open_transaction(client, recipients=(DEMO,)):
    client.expect(f"MAIL FROM:<{SENDER}>", 250)
    for rcpt in recipients:
        client.expect(f"RCPT TO:<{rcpt}>", 250)


def bdat(data, last=False):
    return (f"BDAT {len(data)}{' LAST' if last else ''}\r\n").encode() + data


def without_received(message):
    """A delivered (LF) message without the lines delivery and our
    Received header put in front (Return-Path, Delivered-To)."""
    lines = message.split(b"\n")
    index = 0
    while not lines[index].startswith(b"Received: "):
        index += 1
    index += 1
    while lines[index][:1] in (b" ", b"\t"):
        index += 1
    return b"\n".join(lines[index:])


def stuff(message):
    """Dot-stuffs a CRLF message for DATA."""
    lines = message.split(b"\r\n")
    return b"\r\n".join(b"." + line if line.startswith(b".") else line
                        for line in lines)


def test_ehlo_offers_chunking_and_dsn_not_binarymime(sluice_module):
    with sluice_module.smtp() as client:
        client.ehlo()
        assert "chunking" in client.esmtp_features
        assert "dsn" in client.esmtp_features
        assert "binarymime" not in client.esmtp_features


def test_single_chunk_is_delivered(sluice_module):
    marker = unique_marker("bdat-one")
    message = make_message(marker)
    with sluice_module.raw() as client:
        client.greet()
        open_transaction(client)
        client.send(bdat(message, last=True))
        code, texts = client.reply()
        assert code == 250 and texts[0].startswith("2.0.0 Ok: queued"), \
            texts
        client.expect("QUIT", 221)
    sluice_module.wait_for_messages(DEMO, 1, marker=marker)


def test_bdat_and_data_store_identical_bytes(sluice_module):
    """Lines starting with dots, a line that looks like the end of DATA,
    8-bit text and a last line without CRLF: DATA (stuffed, the CRLF
    added) and BDAT (raw) must leave the same message."""
    marker = unique_marker("bdat-same")
    body = (f"first {marker}\r\n.leading dot\r\n..two dots\r\n.\r\n"
            "caf\u00e9 cr\u00e8me\r\nlast line").encode("utf-8")
    message = make_message(marker, body=body,
                           extra_headers=["Content-Type: text/plain; "
                                          "charset=utf-8"])
    with sluice_module.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}> BODY=8BITMIME", 250)
        client.expect(f"RCPT TO:<{DEMO}>", 250)
        client.expect("DATA", 354)
        client.send(stuff(message) + b"\r\n.\r\n")
        assert_reply(client.reply(), 250)
        client.expect(f"MAIL FROM:<{SENDER}> BODY=8BITMIME", 250)
        client.expect(f"RCPT TO:<{ALICE}>", 250)
        # Cut inside the ".\r\n" line: chunk boundaries mean nothing.
        cut = message.index(b"\r\n.\r\n") + 3
        client.send(bdat(message[:cut]) + bdat(message[cut:], last=True))
        assert_reply(client.reply(), 250)
        assert_reply(client.reply(), 250)
    via_data, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    via_bdat, = sluice_module.wait_for_messages(ALICE, 1, marker=marker)
    assert without_received(via_bdat) == without_received(via_data)
    assert without_received(via_bdat).endswith(b"\nlast line\n")


def test_pipelined_chunks_in_one_write(sluice_module):
    marker = unique_marker("bdat-pipe")
    message = make_message(marker, body=b"x" * 5000 + b"\r\n" +
                           marker.encode() + b"\r\n")
    pieces = [message[i:i + 1000] for i in range(0, len(message), 1000)]
    with sluice_module.raw() as client:
        client.greet()
        client.send(f"MAIL FROM:<{SENDER}>\r\nRCPT TO:<{DEMO}>\r\n".encode()
                    + b"".join(bdat(piece) for piece in pieces)
                    + b"BDAT 0 LAST\r\nQUIT\r\n")
        replies = client.replies(2 + len(pieces) + 2)
        codes = [code for code, _ in replies]
        assert codes == [250] * (2 + len(pieces) + 1) + [221], replies
        assert replies[2][1][0] == "2.0.0 Ok: 1000 octets received"
        assert "queued as" in replies[-2][1][0]
    delivered, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    assert b"x" * 5000 in delivered


def test_chunk_bytes_are_never_commands(sluice_module):
    """A chunk holding command lines and a DATA terminator is content."""
    marker = unique_marker("bdat-raw")
    smuggled = unique_marker("smuggled")
    message = make_message(marker, body=(
        f"text\r\n.\r\nMAIL FROM:<evil@remote.test>\r\nRCPT TO:<{ALICE}>\r\n"
        f"DATA\r\nSubject: {smuggled}\r\n\r\n{smuggled}\r\n.\r\n").encode())
    with sluice_module.raw() as client:
        client.greet()
        open_transaction(client)
        # Split the chunk over two writes, right after a command line.
        chunk = bdat(message, last=True)
        cut = chunk.index(b"DATA\r\n") + 6
        client.send(chunk[:cut])
        client.send(chunk[cut:])
        assert_reply(client.reply(), 250)
        assert_reply(client.command("QUIT"), 221)
    delivered, = sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    assert smuggled.encode() in delivered
    sluice_module.barrier(ALICE)
    assert sluice_module.messages_with(ALICE, smuggled) == []


def test_bdat_zero_last_alone_is_an_empty_message(sluice_module):
    with sluice_module.raw() as client:
        client.greet()
        open_transaction(client)
        code, texts = client.command("BDAT 0 LAST")
        assert code == 250 and "queued as" in texts[0], texts


@pytest.mark.parametrize("before", [[], [f"MAIL FROM:<{SENDER}>"]],
                         ids=["no-mail", "no-rcpt"])
def test_bdat_out_of_sequence_is_503_and_chunk_consumed(sluice_module,
                                                          before):
    with sluice_module.raw() as client:
        client.greet()
        for line in before:
            client.expect(line, 250)
        # The chunk looks like commands; none of them may run.
        chunk = b"RSET\r\nQUIT\r\nNOOP\r\n"
        client.send(bdat(chunk, last=True) + b"HELP\r\n")
        assert_reply(client.reply(), 503, "5.5.1")
        assert_reply(client.reply(), 214)
        client.expect("RSET", 250)


def test_bdat_before_ehlo_is_503_and_chunk_consumed(sluice_module):
    with sluice_module.raw() as client:
        assert client.reply()[0] == 220
        client.send(bdat(b"QUIT\r\n") + b"HELP\r\n")
        assert_reply(client.reply(), 503, "5.5.1")
        assert_reply(client.reply(), 214)


def test_data_after_bdat_is_503(sluice_module):
    with sluice_module.raw() as client:
        client.greet()
        open_transaction(client)
        client.send(bdat(b"Subject: x\r\n"))
        assert_reply(client.reply(), 250)
        assert_reply(client.command("DATA"), 503, "5.5.1")
        # The transaction goes on with BDAT.
        client.send(bdat(b"\r\nbody\r\n", last=True))
        assert_reply(client.reply(), 250)


def test_chunk_over_size_limit_is_552_and_session_stays_in_sync(
        sluice_module):
    marker = unique_marker("bdat-big")
    limit = sluice_module.max_message_size
    first = make_message(marker)
    with sluice_module.raw(timeout=60) as client:
        client.greet()
        open_transaction(client)
        client.send(bdat(first))
        assert_reply(client.reply(), 250)
        # Together over the limit: refused, but all of it is read.
        too_much = (b"QUIT\r\n" * (limit // 6 + 10))[:limit]
        client.send(bdat(too_much) + bdat(b"tail\r\n", last=True))
        assert_reply(client.reply(), 552, "5.3.4")
        assert_reply(client.reply(), 503, "5.5.1")
        # The session is in sync and a new transaction works.
        client.expect("NOOP", 250)
        open_transaction(client)
        client.send(bdat(make_message(unique_marker()), last=True))
        assert_reply(client.reply(), 250)
    sluice_module.barrier()
    assert sluice_module.messages_with(DEMO, marker) == []


def test_single_last_chunk_over_limit_is_552(sluice_module):
    limit = sluice_module.max_message_size
    with sluice_module.raw(timeout=60) as client:
        client.greet()
        open_transaction(client)
        client.send(bdat(b"y" * (limit + 1), last=True) + b"NOOP\r\n")
        assert_reply(client.reply(), 552, "5.3.4")
        assert_reply(client.reply(), 250)
        # The transaction is over: BDAT now needs MAIL again.
        assert_reply(client.command("BDAT 0 LAST"), 503, "5.5.1")


def test_bare_lf_in_chunk_is_rejected_like_data(sluice_module):
    marker = unique_marker("bdat-barelf")
    with sluice_module.raw() as client:
        client.greet()
        open_transaction(client)
        # The CR ends one chunk and the LF starts the next: that is a
        # proper CRLF; the lone LF later is not.
        client.send(bdat(f"Subject: {marker}\r".encode())
                    + bdat(b"\n\r\nbody\r\n"))
        assert_reply(client.reply(), 250)
        assert_reply(client.reply(), 250)
        client.send(bdat(b"bare\nlf\r\n", last=True))
        assert_reply(client.reply(), 550, "5.5.2")
    sluice_module.barrier()
    assert sluice_module.messages_with(DEMO, marker) == []


def test_crlf_across_chunks_is_accepted(sluice_module):
    marker = unique_marker("bdat-split-crlf")
    message = make_message(marker)
    cut = message.index(b"\r\n") + 1
    with sluice_module.raw() as client:
        client.greet()
        open_transaction(client)
        client.send(bdat(message[:cut]) + bdat(message[cut:], last=True))
        assert_reply(client.reply(), 250)
        assert_reply(client.reply(), 250)
    sluice_module.wait_for_messages(DEMO, 1, marker=marker)


@pytest.mark.parametrize("line", ["BDAT", "BDAT x", "BDAT -1",
                                  "BDAT 10 NOTLAST", "BDAT 10 LAST x",
                                  "BDAT 99999999999999999999999"])
def test_bdat_syntax_error_is_501_and_closes(sluice_module, line):
    with sluice_module.raw() as client:
        client.greet()
        open_transaction(client)
        assert_reply(client.command(line), 501, "5.5.4")
        assert client.at_eof(), "session went on after an unusable BDAT"


def test_rset_between_chunks_drops_the_message(sluice_module):
    marker = unique_marker("bdat-rset")
    with sluice_module.raw() as client:
        client.greet()
        open_transaction(client)
        client.send(bdat(make_message(marker)))
        assert_reply(client.reply(), 250)
        client.expect("RSET", 250)
        assert_reply(client.command("BDAT 0 LAST"), 503, "5.5.1")
    sluice_module.barrier()
    assert sluice_module.messages_with(DEMO, marker) == []


@pytest.mark.sluice_options(settings={"queue.direct_delivery": "no"})
def test_bdat_last_is_durable_before_250(sluice):
    """The 250 to BDAT LAST means the spool file is on disk: SIGKILL right
    after it, restart, and the message is delivered to both."""
    marker = unique_marker("bdat-durable")
    with sluice.raw() as client:
        client.greet()
        open_transaction(client, recipients=(DEMO, ALICE))
        client.send(bdat(make_message(marker), last=True))
        assert_reply(client.reply(), 250)
    sluice.kill9()
    sluice.start()
    sluice.wait_for_messages(DEMO, 1, marker=marker)
    sluice.wait_for_messages(ALICE, 1, marker=marker)
