"""A local HTTP server that replays recorded-shape payloads.

Sources are unreachable from tests and the demo: this serves canned answers
on 127.0.0.1 so the real fetching code runs unchanged. A handler decides the
answer of each request::

    def handler(request):            # Request(method, path, query, headers, body)
        return 200, {"Content-Type": "application/json"}, b"{...}"

    with ReplayServer(handler) as server:
        requests.get(server.url + "/path")
        server.requests               # what was asked (unless record=False)
"""
import http.server
import threading
import urllib.parse
from dataclasses import dataclass


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict          # name -> first value
    headers: dict
    body: bytes = b""    # what a POST sent


class ReplayServer:
    def __init__(self, handler, port=0, record=True):
        self.handler = handler
        self.record = record
        self.requests = []
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), self._make_handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = None

    def _make_handler(self):
        replay = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self._answer(b"")

            def do_POST(self):
                self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _answer(self, body):
                parsed = urllib.parse.urlsplit(self.path)
                query = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}
                request = Request(self.command, parsed.path, query, dict(self.headers), body)
                if replay.record:
                    replay.requests.append(request)
                status, headers, body = replay.handler(request)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            def log_message(self, *args):
                pass

        return Handler

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def json_answer(body, status=200, headers=None):
    """A JSON answer for a handler; ``body`` is text or bytes."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return status, {"Content-Type": "application/json", **(headers or {})}, data
