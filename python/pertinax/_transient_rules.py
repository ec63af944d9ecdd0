"""The built-in classification rules behind ``pertinax.transient.is_transient``.

Each rule looks at one exception and answers ``True`` (transient), ``False`` (never
transient) or ``None`` (no opinion). A rule only reaches a library through ``sys.modules``:
an exception of a library that was never imported cannot exist, so nothing here imports one.
"""

import errno
import socket
import sys
import typing

__all__ = ["BUILTIN_RULES", "status_verdict"]

Verdict = typing.Optional[bool]  # noqa: UP045  (a runtime alias; mypy reads it either way)

_TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})

# botocore error codes: the throttling and server-fault codes AWS documents as retryable,
# and the credential and missing-resource codes that no amount of waiting fixes.
_AWS_TRANSIENT = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ProvisionedThroughputExceededException",
        "SlowDown",
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
    }
)
_AWS_PERMANENT = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "NoSuchBucket",
        "NoSuchKey",
    }
)

# PostgreSQL SQLSTATEs worth another attempt: connection exceptions (class 08), serialization
# failure, deadlock, too many connections, and the server shutting down or starting up.
_PG_TRANSIENT = frozenset({"40001", "40P01", "53300", "57P01", "57P02", "57P03"})

# DB-API 2.0 names for errors in the statement or the data: retrying sends the same thing.
_DBAPI_PERMANENT = frozenset(
    {"IntegrityError", "ProgrammingError", "DataError", "NotSupportedError"}
)

# SQLite's primary result codes for a busy or locked database.
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6


def _cls(module_name: str, *names: str) -> tuple[type, ...]:
    """The named classes of a loaded module; empty when it is not loaded."""
    module = sys.modules.get(module_name)
    if module is None:
        return ()
    found = (getattr(module, name, None) for name in names)
    return tuple(c for c in found if isinstance(c, type))


def status_verdict(status: object) -> Verdict:
    """The verdict for an HTTP status code: the listed ones retry, any other 4xx/5xx never."""
    if type(status) is not int:
        return None
    if status in _TRANSIENT_STATUS:
        return True
    if 400 <= status < 600:
        return False
    return None


def _attr(obj: object, name: str) -> object:
    # Exceptions and responses may compute attributes; a failing property is no answer.
    try:
        return getattr(obj, name, None)
    except Exception:
        return None


def _certificate(exc: BaseException) -> Verdict:
    # A certificate that fails verification fails the same way next time, though every
    # HTTP client reports it as a connection error: requests' SSLError holds urllib3's
    # MaxRetryError in its args, whose reason holds the ssl error; httpx's ConnectError
    # has it as its cause's cause; aiohttp's error is an SSLCertVerificationError itself.
    # So look through causes, contexts, args and `reason`s, a few levels deep.
    cert = _cls("ssl", "SSLCertVerificationError")
    if not cert:
        return None
    pending, seen = [exc], 0
    while pending and seen < 16:
        current = pending.pop()
        seen += 1
        if isinstance(current, cert):
            return False
        links = [current.__cause__, current.__context__, _attr(current, "reason")]
        links.extend(current.args if isinstance(current.args, tuple) else ())
        pending.extend(link for link in links if isinstance(link, BaseException))
    return None


def _requests(exc: BaseException) -> Verdict:
    base = _cls("requests.exceptions", "RequestException")
    if not base or not isinstance(exc, base):
        return None
    if isinstance(exc, _cls("requests.exceptions", "HTTPError")):
        return status_verdict(_attr(_attr(exc, "response"), "status_code"))
    transient = _cls("requests.exceptions", "ConnectionError", "Timeout", "ChunkedEncodingError")
    # Everything else (InvalidURL, MissingSchema, TooManyRedirects, a bad JSON body...) is
    # a mistake in the request or the answer, and sending it again changes nothing.
    return isinstance(exc, transient)


def _urllib3(exc: BaseException) -> Verdict:
    base = _cls("urllib3.exceptions", "HTTPError")
    if not base or not isinstance(exc, base):
        return None
    if isinstance(exc, _cls("urllib3.exceptions", "MaxRetryError")):
        # urllib3's own retries ran out: the last failure decides.
        reason = _attr(exc, "reason")
        return _one(reason) if isinstance(reason, BaseException) else None
    transient = _cls(
        "urllib3.exceptions",
        "ProtocolError",
        "TimeoutError",
        "NewConnectionError",
        "ProxyError",
        "ResponseError",  # "too many 5xx error responses" under a status_forcelist
    )
    return isinstance(exc, transient)


def _httpx(exc: BaseException) -> Verdict:
    base = _cls("httpx", "HTTPError")
    if not base or not isinstance(exc, base):
        return None
    if isinstance(exc, _cls("httpx", "HTTPStatusError")):
        return status_verdict(_attr(_attr(exc, "response"), "status_code"))
    # LocalProtocolError, UnsupportedProtocol and TooManyRedirects are our own request's fault.
    transient = _cls(
        "httpx", "TimeoutException", "NetworkError", "RemoteProtocolError", "ProxyError"
    )
    return isinstance(exc, transient)


def _aiohttp(exc: BaseException) -> Verdict:
    base = _cls("aiohttp", "ClientError")
    if not base or not isinstance(exc, base):
        return None
    if isinstance(exc, _cls("aiohttp", "ClientResponseError")):
        return status_verdict(_attr(exc, "status"))
    transient = _cls("aiohttp", "ClientConnectionError", "ClientPayloadError")
    return isinstance(exc, transient)


def _botocore(exc: BaseException) -> Verdict:
    base = _cls("botocore.exceptions", "BotoCoreError", "ClientError")
    if not base or not isinstance(exc, base):
        return None
    if isinstance(exc, _cls("botocore.exceptions", "ClientError")):
        response = _attr(exc, "response")
        if not isinstance(response, dict):
            return None
        error = response.get("Error") or {}
        code = error.get("Code") if isinstance(error, dict) else None
        if code in _AWS_PERMANENT:
            return False
        if code in _AWS_TRANSIENT:
            return True
        metadata = response.get("ResponseMetadata") or {}
        status = metadata.get("HTTPStatusCode") if isinstance(metadata, dict) else None
        if type(status) is int and 500 <= status < 600:
            return True
        return bool(status_verdict(status))
    # Connection failures, timeouts, and a connection closed mid-answer (HTTPClientError);
    # credentials, parameter validation and the rest are our side's mistakes.
    transient = _cls(
        "botocore.exceptions", "ConnectionError", "HTTPClientError", "ConnectTimeoutError"
    )
    if isinstance(exc, _cls("botocore.exceptions", "SSLError")):
        return None  # decided by what it wraps, like any other SSL error
    return isinstance(exc, transient)


def _django(exc: BaseException) -> Verdict:
    if isinstance(exc, _cls("django.db.utils", "OperationalError", "InterfaceError")):
        return True
    return None  # Django's IntegrityError, ProgrammingError, ...: the DB-API rule


def _postgres(exc: BaseException) -> Verdict:
    for module in ("psycopg", "psycopg2"):
        base = _cls(module, "Error")
        if not base or not isinstance(exc, base):
            continue
        # psycopg 3 calls it `sqlstate`, psycopg2 `pgcode`.
        code = _attr(exc, "sqlstate") or _attr(exc, "pgcode")
        if isinstance(code, str) and code:
            return code.startswith("08") or code in _PG_TRANSIENT
        # No SQLSTATE: the client failed before the server said anything, which for these
        # two classes means the connection did (refused, reset, closed under us).
        if isinstance(exc, _cls(module, "OperationalError", "InterfaceError")):
            return True
        return None
    return None


def _sqlite(exc: BaseException) -> Verdict:
    if not isinstance(exc, _cls("sqlite3", "OperationalError")):
        return None
    code = _attr(exc, "sqlite_errorcode")  # Python 3.11+
    if type(code) is int:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    message = str(exc)
    # Other operational errors ("no such table", a read-only file) stay as they are.
    return "database is locked" in message or "database table is locked" in message


def _redis(exc: BaseException) -> Verdict:
    base = _cls("redis.exceptions", "RedisError")
    if not base or not isinstance(exc, base):
        return None
    # redis-py makes authentication failures a kind of ConnectionError.
    if isinstance(exc, _cls("redis.exceptions", "AuthenticationError", "AuthorizationError")):
        return False
    transient = _cls(
        "redis.exceptions", "ConnectionError", "TimeoutError", "TryAgainError", "ClusterDownError"
    )
    return isinstance(exc, transient)


def _http_status(exc: BaseException) -> Verdict:
    # Any other client's error that carries a status: `.response.status_code` (requests-
    # and httpx-like), `.status_code`, or `.status` (urllib.error.HTTPError, aiohttp-like).
    try:
        response = getattr(exc, "response", None)
        statuses = (
            getattr(response, "status_code", None),
            getattr(response, "status", None),
            getattr(exc, "status_code", None),
            getattr(exc, "status", None),
        )
    except Exception:
        return None  # a property that fails is no answer
    for status in statuses:
        verdict = status_verdict(status)
        if verdict is not None:
            return verdict
    return None


# Network failures Python raises as a plain OSError (or a socket.gaierror), with no
# subclass of their own: the route, the interface or the name server may come back.
_TRANSIENT_ERRNOS = frozenset(
    {
        errno.ENETUNREACH,
        errno.EHOSTUNREACH,
        errno.ENETDOWN,
        errno.EHOSTDOWN,
        errno.ENETRESET,
        socket.EAI_AGAIN,  # "Temporary failure in name resolution"
    }
)

_PERMANENT_OS_ERRORS = (
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
)

Rule = typing.Callable[[BaseException], Verdict]

# The rules to ask, by the top-level package of a class in the exception's MRO: a
# ConnectionResetError asks no library at all. In this order, before the generic rules:
# requests' errors are OSErrors, a redis AuthenticationError is a ConnectionError, and
# aiohttp's timeout is a TimeoutError.
BUILTIN_RULES: tuple[Rule, ...] = (
    _certificate,
    _requests,
    _urllib3,
    _httpx,
    _aiohttp,
    _botocore,
    _django,
    _postgres,
    _sqlite,
    _redis,
)
_BY_PACKAGE: dict[str, tuple[Rule, ...]] = {
    "ssl": (_certificate,),
    "requests": (_certificate, _requests),
    "urllib3": (_certificate, _urllib3),
    "httpx": (_certificate, _httpx),
    "httpcore": (_certificate,),
    "aiohttp": (_certificate, _aiohttp),
    "botocore": (_certificate, _botocore),
    "django": (_django,),
    "psycopg": (_postgres,),
    "psycopg2": (_postgres,),
    "sqlite3": (_sqlite,),
    "redis": (_redis,),
}


class _Plan(typing.NamedTuple):
    rules: tuple[Rule, ...]
    dbapi_permanent: bool  # IntegrityError, ProgrammingError, ... by name, any driver
    status_in_class: bool  # a class defines `response`, `status` or `status_code`
    stdlib: Verdict  # what the class alone says: file errors no, connection/timeout yes
    by_errno: bool  # an OSError the class says nothing about: its errno may


_STATUS_ATTRIBUTES = frozenset({"response", "status", "status_code"})
_plans: dict[type, _Plan] = {}
_PLANS_LIMIT = 1024  # classes made at run time (botocore's) must not grow it forever


def _plan(cls: type) -> _Plan:
    mro = cls.__mro__
    packages = {str(getattr(c, "__module__", "")).partition(".")[0] for c in mro}
    wanted = {rule for package in packages for rule in _BY_PACKAGE.get(package, ())}
    stdlib: Verdict = None
    if issubclass(cls, _PERMANENT_OS_ERRORS):
        stdlib = False
    elif issubclass(cls, (ConnectionError, TimeoutError)):
        # socket.timeout and asyncio.TimeoutError are TimeoutError on our Pythons.
        stdlib = True
    plan = _Plan(
        rules=tuple(rule for rule in BUILTIN_RULES if rule in wanted),
        dbapi_permanent=any(c.__name__ in _DBAPI_PERMANENT for c in mro),
        status_in_class=any(name in vars(c) for c in mro for name in _STATUS_ATTRIBUTES),
        stdlib=stdlib,
        by_errno=stdlib is None and issubclass(cls, OSError),
    )
    if len(_plans) >= _PLANS_LIMIT:
        _plans.clear()
    _plans[cls] = plan
    return plan


def _one(exc: BaseException) -> Verdict:
    """The built-in verdict for ``exc`` alone, without its cause or context."""
    cls = type(exc)
    plan = _plans.get(cls) or _plan(cls)
    for rule in plan.rules:
        verdict = rule(exc)
        if verdict is not None:
            return verdict
    if plan.dbapi_permanent:
        return False
    # A failed attribute lookup costs more than the rest of this function: only look for a
    # status where the class or the instance holds one.
    if plan.status_in_class or not _STATUS_ATTRIBUTES.isdisjoint(getattr(exc, "__dict__", ())):
        verdict = _http_status(exc)
        if verdict is not None:
            return verdict
    if plan.by_errno and getattr(exc, "errno", None) in _TRANSIENT_ERRNOS:
        return True
    return plan.stdlib
