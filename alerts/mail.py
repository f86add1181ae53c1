"""Warning e-mails: composing them, and sending many over one SMTP connection.

A message's ``Message-ID`` is made from its outbox id, so a message sent
again after a crash is recognisably the same one. Every message carries a
one-click unsubscribe (RFC 8058) and ``Auto-Submitted: auto-generated``
(RFC 3834: no auto-replies).
"""
import email.policy
import email.utils
import re
import smtplib
import ssl
from email.message import EmailMessage

VERBATIM = {"list-unsubscribe"}
MAX_LINE = 998


class _Policy(email.policy.EmailPolicy):
    """The default policy, except that List-Unsubscribe stays as written:
    folding would turn a long URL into an encoded word mail clients
    cannot follow."""

    def fold(self, name, value):
        if name.lower() in VERBATIM:
            return f"{name}: {value}{self.linesep}"
        return super().fold(name, value)

    def fold_binary(self, name, value):
        if name.lower() in VERBATIM:
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


# 7bit: bodies are base64 or quoted-printable, so no server needs 8BITMIME.
POLICY = _Policy(cte_type="7bit")


def compose(*, to, sender, subject, text, html, message_id, unsubscribe_url,
            unsubscribe_mailto=None, lang, date):
    """A multipart/alternative (text, HTML) UTF-8 message to the address
    ``to`` from ``sender`` (``Name <address>`` or an address) sent at
    ``date`` (an aware datetime) in the language ``lang``; ``message_id``
    (letters, digits, ``.``, ``_``, ``-``, ``+``) becomes
    ``<message_id@sender's domain>``. ValueError for line breaks in a
    header or malformed values."""
    for name, value in (("to", to), ("sender", sender), ("subject", subject), ("lang", lang)):
        if re.search(r"[\r\n]", value):
            raise ValueError(f"{name} may not contain a line break")
    if not re.fullmatch(r"[A-Za-z0-9._+-]+", str(message_id)):
        raise ValueError(f"not a message id: {message_id!r}")
    domain = email.utils.parseaddr(sender)[1].rpartition("@")[2]
    if not domain:
        raise ValueError(f"the sender has no domain: {sender!r}")
    if date.tzinfo is None:
        raise ValueError("the date needs a time zone")
    message = EmailMessage(policy=POLICY)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = email.utils.format_datetime(date)
    message["Message-ID"] = f"<{message_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message["List-Unsubscribe"] = list_unsubscribe(unsubscribe_url, unsubscribe_mailto)
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    message["Content-Language"] = lang  # after the parts: they take Content-* headers
    return message


def list_unsubscribe(url, mailto=None):
    """The ``List-Unsubscribe`` value: ``<url>`` (http or https; the
    one-click POST goes there) and ``<mailto>`` if given."""
    uris = [url] + ([mailto] if mailto else [])
    for uri, schemes in zip(uris, (("https:", "http:"), ("mailto:",))):
        if not uri.lower().startswith(schemes) or not re.fullmatch(r"[\x21-\x7e]+", uri) or re.search("[<>,]", uri):
            raise ValueError(f"not a {' or '.join(schemes)} URI for List-Unsubscribe: {uri!r}")
    value = ", ".join(f"<{uri}>" for uri in uris)
    if len(value) > MAX_LINE - len("List-Unsubscribe: "):
        raise ValueError("the unsubscribe URIs are too long for a header line")
    return value


class Connection:
    """One SMTP connection for many messages, opened on the first
    :meth:`send`; ``server`` is ``host`` or ``host:port`` (port 25 by
    default), as CKAN's ``smtp.server``; ``starttls``, ``user`` and
    ``password`` as its ``smtp.starttls``, ``smtp.user``, ``smtp.password``."""

    def __init__(self, server="localhost", *, starttls=False, user=None, password=None, timeout=30):
        host, _, port = server.rpartition(":") if re.search(r":\d+$", server) else (server, "", "25")
        self.host, self.port = host.strip("[]"), int(port)
        self.starttls, self.user, self.password, self.timeout = starttls, user, password, timeout
        self._smtp = None

    def open(self):
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp

    def send(self, message):
        """Send ``message`` (an :class:`~email.message.EmailMessage`),
        reconnecting once if the server has closed the connection; the
        recipients refused, as :meth:`smtplib.SMTP.send_message` says."""
        if self._smtp is None:
            self.open()
        try:
            return self._smtp.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self._smtp.close()
            self._smtp = None
            self.open()
            return self._smtp.send_message(message)

    def close(self):
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except OSError:
            pass  # already gone
        finally:
            self._smtp.close()
            self._smtp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
