"""A local SMTP server that keeps what it receives, for the demo and tests.

Each accepted message is written, atomically, to
``{directory}/{sha256(Message-ID)[:32]}.eml``. A message whose Message-ID
is already stored is accepted (250) but not stored again, and counted in
:attr:`Sink.duplicates`: a sender that retries after a crash between the
server's acceptance and its own record still delivers once. A message
without a Message-ID is named by a hash of its bytes.

    python -m ckanext.maemoh.alerts.sink --dir DIR --port PORT
"""
import argparse
import email.parser
import email.policy
import hashlib
import logging
import os
import pathlib
import signal
import tempfile
import threading

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)


class Sink:
    """An SMTP server on ``host:port`` storing into ``directory`` (port 0:
    one the system chooses, kept when the sink is stopped and started again)."""

    def __init__(self, directory, host="127.0.0.1", port=0):
        self.directory = pathlib.Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.host, self.port = host, port
        self.duplicates = 0
        self._controller = None

    def start(self):
        self._controller = _Controller(self, hostname=self.host, port=self.port, server_hostname="maemoh-sink")
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def messages(self):
        """The stored messages (:class:`~email.message.EmailMessage`), oldest first."""
        paths = sorted(self.directory.glob("*.eml"), key=lambda path: (path.stat().st_mtime_ns, path.name))
        return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in paths]

    async def handle_DATA(self, server, session, envelope):
        """aiosmtpd's hook: store the message unless already stored."""
        content = envelope.original_content or envelope.content
        message_id = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(content)["Message-ID"]
        key = str(message_id).strip().encode("utf-8") if message_id else content
        path = self.directory / f"{hashlib.sha256(key).hexdigest()[:32]}.eml"
        if path.exists():
            self.duplicates += 1
            log.info("duplicate %s from %s via %s:%s, not stored again", message_id,
                     envelope.mail_from, *session.peer[:2])
        else:
            _write(path, content)
            log.info("stored %s from %s via %s:%s to %s: %s", message_id, envelope.mail_from,
                     *session.peer[:2], ", ".join(envelope.rcpt_tos), path.name)
        return "250 Message accepted for delivery"


class _Controller(Controller):
    """aiosmtpd's controller, which learns the port the system chose for
    port 0 before it first connects to its server."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def _write(path, content):
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".", suffix=".tmp", delete=False) as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())
    os.replace(out.name, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", required=True, help="where messages are stored")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's chatter
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    with Sink(options.dir, options.host, options.port) as sink:
        log.info("SMTP sink on %s:%s storing in %s", sink.host, sink.port, sink.directory)
        # With a timeout: a signal that reaches another thread (aiosmtpd's)
        # would not wake a wait without one, and TERM would be lost.
        while not stopping.wait(timeout=1):
            pass
    log.info("stopped")


if __name__ == "__main__":
    main()
