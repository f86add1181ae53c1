"""LINE Messaging API: push messages, and read the webhook LINE sends us.

(LINE Notify ended on 31 March 2025; this is the official account's
Messaging API.) A push carries an ``X-Line-Retry-Key``: LINE accepts a
key once, so a push retried with the same key after a lost answer is not
sent twice; the repeat answers 409 with ``x-line-accepted-request-id``,
which means delivered.
"""
import base64
import hashlib
import hmac
import json
import uuid

from ckanext.maemoh.alerts.webhooks import Result, exchange, http_error

API_BASE = "https://api.line.me"
PUSH_PATH = "/v2/bot/message/push"
MAX_MESSAGES = 5
MAX_TEXT = 5000
RETRY_STATUSES = {429, 500, 502, 503, 504}


def push(api_base, token, to, texts, retry_key, session=None, timeout=10):
    """Push ``texts`` (1 to 5, each at most 5000 characters: ValueError
    otherwise) to the user ``to``; a :class:`~.webhooks.Result`, retried
    on 429, 5xx and connection errors with the same ``retry_key`` (a UUID)."""
    texts = list(texts)
    if not 1 <= len(texts) <= MAX_MESSAGES:
        raise ValueError(f"a push holds 1 to {MAX_MESSAGES} messages, not {len(texts)}")
    if not all(isinstance(text, str) and 0 < len(text) <= MAX_TEXT for text in texts):
        raise ValueError(f"a LINE text holds 1 to {MAX_TEXT} characters")
    if not to:
        raise ValueError("a push needs the user id it goes to")
    body = json.dumps({"to": to, "messages": [{"type": "text", "text": text} for text in texts]},
                      ensure_ascii=False).encode("utf-8")
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
               "X-Line-Retry-Key": str(uuid.UUID(str(retry_key)))}
    url = (api_base or API_BASE).rstrip("/") + PUSH_PATH
    answer = exchange(url, headers, body, session, timeout)
    if isinstance(answer, Result):
        return answer
    if answer.status == 200 or (answer.status == 409 and answer.headers.get("x-line-accepted-request-id")):
        return Result(True, answer.status)
    return Result(False, answer.status, http_error(answer.status, _message(answer.text)),
                  retry=answer.status in RETRY_STATUSES)


def verify_signature(channel_secret, body, signature):
    """Whether ``signature`` (the ``x-line-signature`` header) is the base64
    HMAC-SHA256 of ``body`` (bytes) with the channel secret."""
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest), (signature or "").encode("utf-8"))


def events(body):
    """The events of a webhook ``body`` (verified first): dicts with
    ``type`` (follow, unfollow, message, ...), ``userId``, ``text`` (of a
    text message, else None), ``replyToken`` and ``webhookEventId``;
    ValueError for a body that is not LINE's JSON."""
    try:
        found = json.loads(body)["events"]
    except (ValueError, KeyError, TypeError):
        raise ValueError("not a LINE webhook body") from None
    return [{
        "type": event.get("type"),
        "userId": (event.get("source") or {}).get("userId"),
        "text": (event.get("message") or {}).get("text") if event.get("type") == "message" else None,
        "replyToken": event.get("replyToken"),
        "webhookEventId": event.get("webhookEventId"),
    } for event in found]


def _message(text):
    """LINE's error ``message`` and its ``details`` in one line."""
    try:
        answer = json.loads(text)
        details = [f"{d.get('property')}: {d.get('message')}" for d in answer.get("details") or []]
        return "; ".join([answer["message"], *details])
    except (ValueError, KeyError, TypeError, AttributeError):
        return text
