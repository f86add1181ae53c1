"""A local stand-in for the LINE Messaging API push endpoint, and signed
webhook bodies like those LINE sends, for tests and the demo::

    with LineApi(token="t") as api:
        line.push(api.url, "t", USER, ["hello"], uuid.uuid4(), session=...)
        api.pushes        # accepted: [Push(to, texts, retry_key)]
        api.requests      # all that was asked

It answers as LINE does: 401 for a wrong token, 400 with LINE-like details
for a malformed push, 200 with ``sentMessages`` for an accepted one, 409
with ``x-line-accepted-request-id`` for a retry key already accepted;
:meth:`LineApi.fail_next` makes the next requests fail with 500 or 429.
"""
import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import uuid
from dataclasses import dataclass

from ckanext.maemoh.harvesters.replay import ReplayServer, json_answer

AUTH_FAILED = "Authentication failed. Confirm that the access token in the authorization header is valid."
USER_ID = re.compile(r"U[0-9a-f]{32}")


@dataclass(frozen=True)
class Push:
    to: str
    texts: list
    retry_key: str | None


class LineApi:
    def __init__(self, token="test-channel-token", port=0):
        self.token = token
        self.pushes = []
        self._accepted = {}          # retry key -> request id
        self._failures = []          # statuses of the next answers
        self._ids = itertools.count(500000000000000000)
        self._lock = threading.Lock()
        self._server = ReplayServer(self._answer, port=port)
        self.url = self._server.url
        self.requests = self._server.requests

    def fail_next(self, count, status=500):
        """Answer the next ``count`` requests with ``status`` (500 or 429)."""
        with self._lock:
            self._failures += [status] * count

    def _answer(self, request):
        request_id = str(uuid.uuid4())
        with self._lock:
            status, body, headers = self._decide(request, request_id)
        return json_answer(json.dumps(body), status, {"x-line-request-id": request_id, **headers})

    def _decide(self, request, request_id):
        if self._failures:
            status = self._failures.pop(0)
            return status, {"message": "Too many requests" if status == 429 else "An error occurred"}, {}
        if (request.method, request.path) != ("POST", "/v2/bot/message/push"):
            return 404, {"message": "Not found"}, {}
        headers = {name.lower(): value for name, value in request.headers.items()}
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"message": AUTH_FAILED}, {}
        key = headers.get("x-line-retry-key")
        if key is not None:
            try:
                key = str(uuid.UUID(key))
            except ValueError:
                return 400, {"message": "The retry key must be a UUID"}, {}
            if key in self._accepted:
                return 409, {"message": "The retry key is already accepted"}, \
                    {"x-line-accepted-request-id": self._accepted[key]}
        try:
            push = json.loads(request.body)
        except ValueError:
            return 400, {"message": "The request body could not be parsed as JSON"}, {}
        problems = _problems(push)
        if problems:
            return 400, {"message": f"The request body has {len(problems)} error(s)",
                         "details": [{"message": m, "property": p} for p, m in problems]}, {}
        if not USER_ID.fullmatch(push["to"]):
            return 400, {"message": "The property, 'to', in the request body is invalid (line: -, column: -)"}, {}
        if key is not None:
            self._accepted[key] = request_id
        self.pushes.append(Push(push["to"], [m["text"] for m in push["messages"]], key))
        return 200, {"sentMessages": [{"id": str(next(self._ids)), "quoteToken": uuid.uuid4().hex}
                                      for _ in push["messages"]]}, {}

    def start(self):
        self._server.start()
        return self

    def stop(self):
        self._server.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _problems(push):
    """``[(property, message)]`` of a push body, as LINE words them."""
    if not isinstance(push, dict):
        return [("", "must be a JSON object")]
    problems = [] if isinstance(push.get("to"), str) and push["to"] else [("to", "must be specified")]
    messages = push.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
        return problems + [("messages", "Size must be between 1 and 5")]
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("type") != "text":
            problems.append((f"messages[{i}].type", "Must be one of the following values: [text]"))
        elif not isinstance(message.get("text"), str) or not message["text"]:
            problems.append((f"messages[{i}].text", "May not be empty"))
        elif len(message["text"]) > 5000:
            problems.append((f"messages[{i}].text", "Length must be between 0 and 5000"))
    return problems


def webhook(channel_secret, events):
    """A webhook delivery as LINE sends it: ``(body, headers)`` with the
    ``x-line-signature`` of ``body``."""
    body = json.dumps({"destination": "U" + "0" * 32, "events": events}).encode("utf-8")
    signature = base64.b64encode(hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest())
    return body, {"Content-Type": "application/json", "x-line-signature": signature.decode("ascii")}


def event(kind, user_id, text=None):
    """A follow, unfollow or (with ``text``) text message event of ``user_id``."""
    found = {"type": kind, "mode": "active", "timestamp": 1767225600000,
             "source": {"type": "user", "userId": user_id},
             "webhookEventId": uuid.uuid4().hex.upper()[:26],
             "deliveryContext": {"isRedelivery": False}}
    if kind != "unfollow":
        found["replyToken"] = uuid.uuid4().hex
    if kind == "message":
        found["message"] = {"type": "text", "id": "468789577898262530", "text": text}
    return found
