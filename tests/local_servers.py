"""Real servers on loopback for the classification tests, and ``raised()``.

Every server binds a free port on 127.0.0.1 and is stopped by the context manager that
started it; processes run in their own process group, which is killed on the way out.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import typing
import urllib.parse

import pytest


def raised(fn: typing.Callable[[], object]) -> BaseException:
    """The exception ``fn`` raises; the test fails if it returns."""
    try:
        fn()
    except BaseException as exc:  # noqa: BLE001  (the point is to catch anything)
        return exc
    pytest.fail(f"{fn!r} did not raise")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def closed_port() -> int:
    """A port nothing listens on: connecting to it is refused."""
    return free_port()


class Seen(typing.NamedTuple):
    """One request a server saw."""

    method: str
    path: str
    at: float  # time.monotonic()


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers ``/status/<code>`` with that status; ``?retry_after=<value>`` adds the header;
    ``/chunked-cut`` promises a chunked body and closes mid-way; ``/close`` answers nothing."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body would otherwise wait for an ACK
    server: _StatusServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _answer(self) -> None:
        self.server.seen.append(Seen(self.command, self.path, time.monotonic()))
        path, _, query = self.path.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if path == "/close":
            self.close_connection = True
            return
        if path == "/chunked-cut":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"5\r\nhel")
            self.wfile.flush()
            self.close_connection = True
            return
        code = int(path.rsplit("/", 1)[-1]) if path.startswith("/status/") else 200
        body = b'{"status": %d}' % code
        self.send_response(code)
        if "retry_after" in params:
            self.send_header("Retry-After", urllib.parse.unquote(params["retry_after"]))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = _answer


class _StatusServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.seen: list[Seen] = []


@contextlib.contextmanager
def status_server() -> typing.Iterator[_StatusServer]:
    """An HTTP server that answers any status asked for: ``GET /status/503``."""
    server = _StatusServer(0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def silent_server() -> typing.Iterator[int]:
    """A port that accepts connections and never says a word: reads time out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


@contextlib.contextmanager
def full_backlog() -> typing.Iterator[int]:
    """A port whose accept queue is full: a new connection's handshake never completes,
    so connecting times out (it is not refused)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers: list[socket.socket] = []
    try:
        # Fill the queue: once connects stop completing within a moment, it is full.
        for _ in range(16):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        time.sleep(0.1)
        yield port
    finally:
        for s in fillers:
            s.close()
        listener.close()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout}s")


@contextlib.contextmanager
def redis_server(*, password: str | None = None) -> typing.Iterator[int]:
    """A real redis-server on a free loopback port, with nothing saved to disk."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError("redis-server is not installed (Debian package redis-server)")
    port = free_port()
    args = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    if password is not None:
        args += ["--requirepass", password]
    with tempfile.TemporaryDirectory() as work:
        proc = subprocess.Popen(
            args,
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_port(port, proc, "redis-server")
            yield port
        finally:
            _kill_group(proc)


def _pg_bin(name: str) -> str:
    for directory in (
        sorted(os.listdir("/usr/lib/postgresql"), reverse=True)
        if os.path.isdir("/usr/lib/postgresql")
        else []
    ):
        candidate = os.path.join("/usr/lib/postgresql", directory, "bin", name)
        if os.path.exists(candidate):
            return candidate
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} is not installed (Debian package postgresql)")
    return found


@contextlib.contextmanager
def postgres_server() -> typing.Iterator[str]:
    """A throwaway PostgreSQL cluster on a free loopback port; yields a conninfo string.

    PostgreSQL refuses to run as root, so under root the cluster belongs to the
    ``postgres`` system user.
    """
    port = free_port()
    work = tempfile.mkdtemp(prefix="pertinax-pg-")
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(work, "postgres", "postgres")
        as_user = [shutil.which("runuser") or "runuser", "-u", "postgres", "--"]
    data = os.path.join(work, "data")
    try:
        subprocess.run(
            [*as_user, _pg_bin("initdb"), "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        proc = subprocess.Popen(
            [
                *as_user,
                _pg_bin("postgres"),
                "-D",
                data,
                "-p",
                str(port),
                "-h",
                "127.0.0.1",
                "-k",
                work,
                "-c",
                "fsync=off",
                "-c",
                "deadlock_timeout=100ms",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_port(port, proc, "postgres")
            yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres connect_timeout=5"
        finally:
            _kill_group(proc)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def tls_server() -> typing.Iterator[int]:
    """An HTTPS server with a self-signed certificate no client trusts."""
    import ssl

    with tempfile.TemporaryDirectory() as work:
        key, cert = os.path.join(work, "key.pem"), os.path.join(work, "cert.pem")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
            + ["-keyout", key, "-out", cert, "-subj", "/CN=127.0.0.1"],
            check=True,
            capture_output=True,
        )
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server = _StatusServer(0)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield int(server.server_address[1])
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
