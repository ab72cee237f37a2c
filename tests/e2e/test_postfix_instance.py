# test_postfix_instance.py: the private Postfix the relay tests use as the
# downstream mailbox server works on its own: it accepts mail for its
# mailboxes over SMTP, refuses unknown users and other domains, and
# delivers byte-exact bodies into its Maildirs.

import smtplib

import pytest

from postfix_instance import PostfixInstance, unavailable

pytestmark = pytest.mark.skipif(unavailable() is not None,
                                reason=str(unavailable()))


@pytest.fixture(scope="module")
def postfix():
    instance = PostfixInstance(["downstream.test"],
                               ["bob@downstream.test"])
    with instance:
        yield instance


def test_delivers_to_its_mailbox(postfix):
    body = b"Subject: hello\r\n\r\nline one\r\n.dot line\r\n"
    with smtplib.SMTP("127.0.0.1", postfix.port, timeout=10) as client:
        client.sendmail("a@sender.test", ["bob@downstream.test"], body)
    messages = postfix.maildir_messages("bob@downstream.test")
    assert len(messages) == 1, postfix.log()
    assert messages[0].endswith(b"line one\n.dot line\n")


def test_refuses_unknown_user_and_foreign_domain(postfix):
    with smtplib.SMTP("127.0.0.1", postfix.port, timeout=10) as client:
        client.mail("a@sender.test")
        code, _ = client.rcpt("nobody@downstream.test")
        assert code == 550
        code, _ = client.rcpt("x@elsewhere.test")
        assert 500 <= code < 600
