# test_open_relay.py: sluice is not an open relay. The classic tricks
# that smuggle another destination into an address for a local domain
# (percent hack, quoted '@', source routes, bang paths, double '@',
# address literals, trailing dots, case games) are refused: 554 5.7.1
# when the address is well-formed, 501 when it is not. Only an address
# that literally is a local user's is accepted, and delivered to that
# user alone. Here "the relay" is example.test, the local domain.

import pytest

from sluice_e2e import ALICE, DEMO, SENDER, make_message, unique_marker

# address -> the expected reply code (554 comes with 5.7.1).
TRICKS = {
    # Percent hack: user%other@relay.
    "percent": ("user%elsewhere.test@example.test", 554),
    "percent-local-user": ("demo%elsewhere.test@example.test", 554),
    "percent-plus": ("demo+x%elsewhere.test@example.test", 554),
    "percent-postmaster": ("postmaster%elsewhere.test@example.test", 554),
    "percent-quoted": ('"user%elsewhere.test"@example.test', 554),
    "percent-upper": ("user%ELSEWHERE.TEST@EXAMPLE.TEST", 554),
    "percent-foreign": ("user%example.test@elsewhere.test", 554),
    "percent-literal": ("user%elsewhere.test@[127.0.0.1]", 554),
    # A quoted local part holding an '@'.
    "quoted-at": ('"user@elsewhere.test"@example.test', 554),
    "quoted-at-local-user": ('"demo@elsewhere.test"@example.test', 554),
    "quoted-escaped-at": ('"user\\@elsewhere.test"@example.test', 554),
    "quoted-at-foreign": ('"demo@example.test"@elsewhere.test', 554),
    # Source routes: stripped, then judged by the real destination.
    "source-route": ("@example.test:user@elsewhere.test", 554),
    "source-route-list": ("@example.test,@mx.sluice.test:user@elsewhere.test",
                          554),
    "source-route-percent": ("@example.test:user%elsewhere.test@example.test",
                             554),
    # Two '@'.
    "double-at": ("user@elsewhere.test@example.test", 501),
    "double-at-local-user": ("demo@elsewhere.test@example.test", 501),
    "double-at-reversed": ("user@example.test@elsewhere.test", 501),
    # Address literals.
    "literal": ("user@[1.2.3.4]", 554),
    "literal-local-user": ("demo@[127.0.0.1]", 554),
    "literal-ipv6": ("demo@[IPv6:::1]", 554),
    # Bang paths.
    "bang": ("elsewhere.test!user@example.test", 554),
    "bang-local-user": ("elsewhere.test!demo@example.test", 554),
    "bang-foreign": ("example.test!user@elsewhere.test", 554),
    "bang-no-domain": ("elsewhere.test!user", 501),
    # Trailing dots.
    "trailing-dot": ("user@elsewhere.test.", 501),
    "trailing-dot-local": ("demo@example.test.", 501),
    "trailing-dots": ("user@elsewhere.test..", 501),
    # Case games.
    "upper-domain": ("user@ELSEWHERE.TEST", 554),
    "mixed-case-domain": ("Demo@Elsewhere.Test", 554),
    # Look-alikes of the local domain.
    "subdomain": ("demo@sub.example.test", 554),
    "suffix": ("demo@example.test.elsewhere.test", 554),
    "hostname": ("demo@mx.sluice.test", 554),
    "localhost": ("user%elsewhere.test@localhost", 554),
    # Junk in the domain.
    "percent-in-domain": ("user@elsewhere.test%example.test", 501),
    "colon-in-domain": ("user@elsewhere.test:example.test", 501),
    "nested-brackets": ("<user@elsewhere.test>@example.test", 501),
    "no-domain": ("user%elsewhere.test", 501),
}


@pytest.mark.parametrize("address,code", TRICKS.values(), ids=TRICKS.keys())
def test_relay_trick_is_refused(sluice_module, address, code):
    with sluice_module.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        got, texts = client.command(f"RCPT TO:<{address}>")
        assert got == code, f"<{address}>: expected {code}, got {got} {texts}"
        if code == 554:
            assert texts[0].startswith("5.7.1"), texts
        # Refusing one recipient leaves the transaction usable.
        client.expect(f"RCPT TO:<{DEMO}>", 250)


def test_relay_tricks_refused_with_sender_in_our_domain(sluice_module):
    """A local sender buys nothing: relaying is judged by recipient and
    client, never by the claimed sender."""
    with sluice_module.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{DEMO}>", 250)
        for name in ("percent", "quoted-at", "source-route", "bang",
                     "literal"):
            address, code = TRICKS[name]
            got, texts = client.command(f"RCPT TO:<{address}>")
            assert got == code, f"<{address}>: {got} {texts}"


LITERAL_LOCAL = {
    "plain": DEMO,
    "upper": DEMO.upper(),
    "quoted-needless": '"demo"@example.test',
    "source-route-to-local": "@elsewhere.test:demo@example.test",
}


@pytest.mark.parametrize("address", LITERAL_LOCAL.values(),
                         ids=LITERAL_LOCAL.keys())
def test_literal_local_user_is_delivered_to_that_user_only(sluice_module,
                                                           address):
    marker = unique_marker("literal-local")
    with sluice_module.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        client.expect(f"RCPT TO:<{address}>", 250)
        client.expect("DATA", 354)
        client.send(make_message(marker) + b".\r\n")
        code, texts = client.reply()
        assert code == 250, texts
    sluice_module.wait_for_messages(DEMO, 1, marker=marker)
    sluice_module.barrier(ALICE)
    assert sluice_module.messages_with(ALICE, marker) == []


def test_message_with_refused_tricks_reaches_only_the_real_user(
        sluice_module):
    marker = unique_marker("mixed")
    with sluice_module.raw() as client:
        client.greet()
        client.expect(f"MAIL FROM:<{SENDER}>", 250)
        # Fewer than smtp.max_errors: each refusal counts as an error.
        for name in ("percent-local-user", "quoted-at-local-user",
                     "source-route", "double-at-local-user",
                     "literal-local-user", "bang-local-user",
                     "upper-domain", "trailing-dot-local"):
            address, code = TRICKS[name]
            assert client.command(f"RCPT TO:<{address}>")[0] == code
        client.expect(f"RCPT TO:<{ALICE}>", 250)
        client.expect("DATA", 354)
        client.send(make_message(marker, to=ALICE) + b".\r\n")
        assert client.reply()[0] == 250
    delivered, = sluice_module.wait_for_messages(ALICE, 1, marker=marker)
    # One recipient: the Received header names it, and nobody else.
    assert f"for <{ALICE}>".encode() in delivered
    sluice_module.barrier()
    assert sluice_module.messages_with(DEMO, marker) == []
    queued = list((sluice_module.state_dir / "spool" / "queue").iterdir())
    failed = list((sluice_module.state_dir / "spool" / "failed").iterdir())
    assert failed == []
    for path in queued:
        assert marker.encode() not in path.read_bytes()
