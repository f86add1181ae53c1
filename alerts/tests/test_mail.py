"""Composing warning e-mails, and sending them over one SMTP connection to
the local sink, which keeps each Message-ID once."""
import logging
import re
import signal
import smtplib
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from ckanext.maemoh.alerts import mail
from ckanext.maemoh.alerts.sink import Sink

BANGKOK = timezone(timedelta(hours=7))
SUBJECT = "แจ้งเตือน: ฝุ่น PM2.5 ระดับสูง ที่แม่เมาะ จังหวัดลำปาง (ทดสอบหัวเรื่องที่ยาวกว่าหนึ่งบรรทัด)"
UNSUBSCRIBE = "https://data.maemoh.example/alerts/unsubscribe?token=" + "t0k3n" * 30


def message(message_id="outbox-1", **changes):
    fields = dict(to="resident@example.org", sender="Mae Moh warnings <alerts@data.maemoh.example>",
                  subject=SUBJECT, text="ค่าฝุ่น 95 µg/m³\n", html="<p>ค่าฝุ่น <b>95</b> µg/m³</p>",
                  message_id=message_id, unsubscribe_url=UNSUBSCRIBE, lang="th",
                  date=datetime(2026, 1, 15, 8, 0, tzinfo=BANGKOK))
    return mail.compose(**{**fields, **changes})


@pytest.fixture
def sink(tmp_path):
    with Sink(tmp_path / "mail") as server:
        yield server


def connect(sink):
    return mail.Connection(f"{sink.host}:{sink.port}", timeout=5)


def test_a_composed_message():
    composed = message(unsubscribe_mailto="mailto:unsubscribe@data.maemoh.example?subject=stop")
    assert composed["Message-ID"] == "<outbox-1@data.maemoh.example>"
    assert composed["Date"] == "Thu, 15 Jan 2026 08:00:00 +0700"
    assert (composed["Content-Language"], composed["Auto-Submitted"]) == ("th", "auto-generated")
    assert composed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert composed.get_content_type() == "multipart/alternative"
    text, html = composed.iter_parts()
    assert (text.get_content(), html.get_content_type()) == ("ค่าฝุ่น 95 µg/m³\n", "text/html")
    raw = composed.as_bytes()
    assert raw.isascii()
    # The long URL stays whole: folding would make it an encoded word.
    assert (f"List-Unsubscribe: <{UNSUBSCRIBE}>, "
            "<mailto:unsubscribe@data.maemoh.example?subject=stop>\n").encode() in raw


@pytest.mark.parametrize("field, value", [
    ("to", "resident@example.org\r\nBcc: everyone@example.org"),
    ("subject", "PM2.5\nBcc: everyone@example.org"),
    ("message_id", "1>\r\nBcc: x"),
    ("unsubscribe_url", "javascript:alert(1)"),
    ("unsubscribe_url", "https://example.org/a>, <https://evil.example"),
    ("unsubscribe_mailto", "https://example.org/"),
    ("date", datetime(2026, 1, 15, 8, 0)),
])
def test_header_injection_and_malformed_values_are_refused(field, value):
    with pytest.raises(ValueError):
        message(**{field: value})


def test_sent_messages_are_stored_with_their_headers(sink):
    with connect(sink) as connection:
        connection.send(message())
    stored, = sink.messages()
    assert stored["Subject"] == SUBJECT
    assert stored["Message-ID"] == "<outbox-1@data.maemoh.example>"
    assert stored["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert stored["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert stored.get_body(("html",)).get_content() == "<p>ค่าฝุ่น <b>95</b> µg/m³</p>\n"


def test_a_message_id_already_stored_is_accepted_but_not_stored_again(sink):
    with connect(sink) as connection:
        for message_id in ("outbox-1", "outbox-1", "outbox-2"):
            assert connection.send(message(message_id)) == {}
    assert [m["Message-ID"] for m in sink.messages()] == ["<outbox-1@data.maemoh.example>",
                                                          "<outbox-2@data.maemoh.example>"]
    assert sink.duplicates == 1
    assert [p.name for p in sink.directory.iterdir() if not p.name.endswith(".eml")] == []


def test_messages_without_a_message_id_are_stored_by_their_bytes(sink):
    with smtplib.SMTP(sink.host, sink.port, timeout=5) as smtp:
        for body in (b"Subject: one\r\n\r\nhello\r\n", b"Subject: one\r\n\r\nhello\r\n", b"Subject: two\r\n\r\nhi\r\n"):
            smtp.sendmail("a@example.org", ["b@example.org"], body)
    assert [m["Subject"] for m in sink.messages()] == ["one", "two"]
    assert sink.duplicates == 1


def test_a_thousand_messages_over_one_connection(sink, caplog):
    caplog.set_level(logging.INFO, logger="ckanext.maemoh.alerts.sink")
    with connect(sink) as connection:
        for number in range(1000):
            connection.send(message(f"outbox-{number}"))
    assert len(list(sink.directory.glob("*.eml"))) == 1000
    peers = {re.search(r"via (\S+):", record.getMessage()).group(1) for record in caplog.records}
    assert len(peers) == 1 and len(caplog.records) == 1000


def test_the_connection_reconnects_once_when_the_server_went_away(tmp_path):
    with Sink(tmp_path) as first, connect(first) as connection:
        connection.send(message("outbox-1"))
        first.stop()
        first.start()
        connection.send(message("outbox-2"))
    assert len(first.messages()) == 2


def test_an_unreachable_server_raises(tmp_path):
    with Sink(tmp_path) as gone:
        port = gone.port
    with pytest.raises(OSError), mail.Connection(f"127.0.0.1:{port}", timeout=5) as connection:
        connection.send(message())


def test_server_addresses_as_ckan_writes_them():
    assert (mail.Connection("mail.example.org").host, mail.Connection("mail.example.org").port) == \
        ("mail.example.org", 25)
    assert (mail.Connection("localhost:1025").host, mail.Connection("localhost:1025").port) == ("localhost", 1025)
    assert mail.Connection("[::1]:2525").host == "::1"


def test_the_sink_runs_as_a_command_until_terminated(tmp_path):
    command = [sys.executable, "-m", "ckanext.maemoh.alerts.sink", "--dir", str(tmp_path), "--port", "0"]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as process:
        try:
            started = process.stderr.readline()
            port = int(re.search(r"SMTP sink on 127\.0\.0\.1:(\d+)", started).group(1))
            with mail.Connection(f"127.0.0.1:{port}", timeout=5) as connection:
                connection.send(message())
            process.send_signal(signal.SIGTERM)
            logged = process.stderr.read()
        finally:
            process.kill()
    assert process.returncode == 0
    assert "stored <outbox-1@data.maemoh.example> from alerts@data.maemoh.example" in logged
    assert len(list(tmp_path.glob("*.eml"))) == 1
