"""Credentials never leave the process: every endpoint or URI is redacted before it is logged or written.

    redact_uri("http://alice:S3cret@127.0.0.1:8765/?token=abc&sslmode=require")
        -> "http://127.0.0.1:8765/?sslmode=require"

`redact_uri` drops the user name and password of a URI and every query parameter that can carry a
credential (a name holding user, pass, pwd, token, secret, key, auth, cred or signature), and the
fragment. `redact_text` removes the same secrets from free text such as an exception's message,
which libraries fill with the URL they were given. `protect(uri)` registers a URI's secrets for
the whole process: from then on every log record, whatever logger made it, is redacted as it is
created (a log record factory, so that handlers installed later, tqdm's included, see only
redacted text).

A URI is rebuilt by hand rather than with urlunsplit, which would turn `sqlite:////abs/path` into
`sqlite://abs/path`.
"""

from __future__ import annotations

import logging
import threading
import traceback
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

HIDDEN = "***"
# Query parameter names that may carry a credential (compared lower-case, as substrings).
CREDENTIAL_PARAMS = ("user", "pass", "pwd", "token", "secret", "key", "auth", "cred", "signature")
# A secret shorter than this is not searched for in free text: it would blank out ordinary letters.
MIN_SECRET = 4

_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False


def is_credential_param(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in CREDENTIAL_PARAMS)


def redact_uri(uri: str) -> str:
    """The URI without user name, password, credential query parameters or fragment."""
    if not uri:
        return uri
    if "://" not in uri:  # "databricks", "databricks-uc", a bare path: no user info to drop
        base, _, query = uri.split("#", 1)[0].partition("?")
        return base + _query(query)
    parts = urlsplit(uri)
    netloc = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{netloc}{parts.path}{_query(parts.query)}"


def _query(query: str) -> str:
    kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not is_credential_param(k)]
    return "?" + urlencode(kept) if kept else ""


def secrets_of(uri: str | None) -> set[str]:
    """The secret strings a URI carries: its user info, password and credential parameter values,
    as written and percent-decoded."""
    if not uri:
        return set()
    parts = urlsplit(uri if "://" in uri else "x://" + uri.lstrip("/"))
    values = set()
    userinfo = parts.netloc.rpartition("@")[0]
    found = {userinfo + "@", unquote(userinfo) + "@"} if userinfo else set()
    if userinfo.partition(":")[2]:
        values.add(userinfo.partition(":")[2])
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if is_credential_param(key) and value:
            values.add(value)
    found |= values | {unquote(v) for v in values} | {quote(v, safe="") for v in values}
    return {s for s in found if len(s) >= MIN_SECRET or s.endswith("@")}


def redact_text(text: str, *uris: str | None) -> str:
    """`text` with each URI replaced by its redacted form and every secret of them (and of the URIs
    given to `protect`) replaced by ***."""
    for uri in uris:
        if uri:
            text = text.replace(uri, redact_uri(uri))
    with _lock:
        secrets = set(_secrets)
    for uri in uris:
        secrets |= secrets_of(uri)
    # Longest first, so that "alice:pw@" goes before "pw" and leaves no part behind.
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "" if secret.endswith("@") else HIDDEN)
    return text


def protect(*uris: str | None) -> None:
    """Redact the secrets of these URIs from every log record made in this process from now on."""
    global _installed
    new = set().union(*(secrets_of(u) for u in uris))
    with _lock:
        _secrets.update(new)
        if _installed or not _secrets:
            return
        _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if not _secrets:
            return record
        record.msg, record.args = redact_text(record.getMessage()), ()
        if record.exc_info:
            record.exc_text = redact_text("".join(traceback.format_exception(*record.exc_info)).rstrip())
            record.exc_info = None
        return record

    logging.setLogRecordFactory(factory)
