"""A real redis-server for tests: a free loopback port, a temporary directory, and a process
group that is killed afterwards. With a password and an ACL user, or with TLS and a CA and
server certificate made here with the `cryptography` package."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "s3cret-default"
ACL_USER = "app"
ACL_PASSWORD = "s3cret-app"
ACL_PREFIX = "fleet"


@dataclass
class Server:
    port: int
    directory: Path
    process: subprocess.Popen[bytes]
    tls: bool
    ca: Path | None = None

    def url(self, *, user: str | None = ACL_USER, password: str | None = ACL_PASSWORD) -> str:
        scheme = "rediss" if self.tls else "redis"
        auth = ""
        if password is not None:
            auth = f"{user or ''}:{password}@"
        return f"{scheme}://{auth}127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _certificates(directory: Path) -> tuple[Path, Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("pertinax test CA"))
        .issuer_name(name("pertinax test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(pem_key(key))
    return paths


def start(
    *,
    tls: bool = False,
    port: int | None = None,
    directory: Path | None = None,
    extra: list[str] | None = None,
) -> Server:
    """Starts redis-server with a default-user password and an ACL user limited to the
    ``fleet:`` keys; with ``tls``, only a TLS port; ``extra`` configuration lines last."""
    executable = shutil.which("redis-server")
    if executable is None:
        raise RuntimeError("redis-server is not installed (Debian package redis-server)")
    directory = directory or Path(tempfile.mkdtemp(prefix="pertinax-redis-"))
    port = port or free_port()
    lines = [
        "bind 127.0.0.1",
        f"dir {directory}",
        "save ''",
        "appendonly no",
        f"requirepass {PASSWORD}",
        f"user {ACL_USER} on >{ACL_PASSWORD} ~{ACL_PREFIX}:* &* +@all",
    ]
    ca = None
    if tls:
        ca, cert, key = _certificates(directory)
        lines += [
            "port 0",
            f"tls-port {port}",
            f"tls-cert-file {cert}",
            f"tls-key-file {key}",
            f"tls-ca-cert-file {ca}",
            "tls-auth-clients no",
        ]
    else:
        lines.append(f"port {port}")
    lines += extra or []
    config = directory / "redis.conf"
    config.write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(
        [executable, str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Server(port, directory, process, tls, ca)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return server
        time.sleep(0.05)
    server.stop()
    raise RuntimeError("redis-server did not start listening")


@contextlib.contextmanager
def running(*, tls: bool = False) -> Iterator[Server]:
    server = start(tls=tls)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.directory, ignore_errors=True)


@dataclass
class Cluster:
    """Redis Cluster: primaries only, the slots split between them, on loopback."""

    nodes: list[Server]

    def url(self, *, user: str | None = ACL_USER, password: str | None = ACL_PASSWORD) -> str:
        return self.nodes[0].url(user=user, password=password)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def start_cluster(n: int = 3) -> Cluster:
    """Starts ``n`` cluster-enabled servers, splits the 16384 slots between them, joins
    them, and waits until every node reports the cluster ready."""
    import redis

    nodes: list[Server] = []
    try:
        for _ in range(n):
            # The cluster bus gets its own free port: port + 10000 may not be one.
            bus = free_port()
            nodes.append(
                start(
                    extra=[
                        "cluster-enabled yes",
                        "cluster-config-file nodes.conf",
                        f"cluster-port {bus}",
                        "cluster-node-timeout 5000",
                    ]
                )
            )
        admins = [
            redis.Redis(host="127.0.0.1", port=node.port, password=PASSWORD) for node in nodes
        ]
        step = 16384 // n
        for i, admin in enumerate(admins):
            last = 16383 if i == n - 1 else (i + 1) * step - 1
            admin.execute_command("CLUSTER", "ADDSLOTSRANGE", i * step, last)
        for node in nodes[1:]:
            bus_port = _config(node, "cluster-port")
            admins[0].execute_command("CLUSTER", "MEET", "127.0.0.1", node.port, bus_port)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            infos = [admin.execute_command("CLUSTER", "INFO") for admin in admins]
            texts = [i.decode() if isinstance(i, bytes) else str(i) for i in infos]
            if all("cluster_state:ok" in t and f"cluster_known_nodes:{n}" in t for t in texts):
                for admin in admins:
                    admin.close()
                return Cluster(nodes)
            time.sleep(0.1)
        raise RuntimeError("the Redis cluster did not become ready")
    except BaseException:
        for node in nodes:
            node.stop()
            shutil.rmtree(node.directory, ignore_errors=True)
        raise


def _config(node: Server, name: str) -> int:
    for line in (node.directory / "redis.conf").read_text().splitlines():
        if line.startswith(f"{name} "):
            return int(line.split()[1])
    raise KeyError(name)


@contextlib.contextmanager
def running_cluster(n: int = 3) -> Iterator[Cluster]:
    cluster = start_cluster(n)
    try:
        yield cluster
    finally:
        cluster.stop()
        for node in cluster.nodes:
            shutil.rmtree(node.directory, ignore_errors=True)
