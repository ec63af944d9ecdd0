"""An S3 uploader on boto3, retried under the "file_upload" policy, against moto's server.

moto runs on a free loopback port with IAM enforced, so credentials and permissions are
checked as AWS checks them. The run shows:

* an endpoint outage (the server stopped, then back on the same port) retried until the
  upload lands;
* AccessDenied (a user whose policy only allows reads), NoSuchBucket and a missing local
  file, each failing at once, without a retry.

    pip install 'pertinax[examples]'   # the clients it uses
    python examples/s3_uploader.py [--report FILE]

The policy's waits (2 to 60 s) are scaled down so the example runs in seconds.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import threading
import time
import typing

import boto3
import requests
from botocore.config import Config
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import ThreadedMotoServer
from pertinax import retry, wait_exponential
from werkzeug.serving import make_server

QUICK = wait_exponential(multiplier=0.5, min=0.5, max=1)


class S3Uploader:
    """Uploads files to S3; transient failures are retried, everything else raised at once."""

    def __init__(self, endpoint_url: str, key_id: str, secret: str) -> None:
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            # One request per attempt: the policy decides about retries, so botocore's own
            # retry loop is turned off instead of multiplying the attempts.
            config=Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=10),
        )

    @retry(policy="file_upload", wait=QUICK)
    def upload(self, path: str, bucket: str, key: str) -> str:
        self.client.upload_file(path, bucket, key)
        return f"s3://{bucket}/{key}"


# --- moto's server, recording what it is asked ---------------------------------------------------


class RecordingMotoServer(ThreadedMotoServer):
    """moto's threaded server with a WSGI layer that notes each request and its answer."""

    def __init__(self, port: int, seen: list[tuple[str, str, int, float]]) -> None:
        super().__init__(ip_address="127.0.0.1", port=port, verbose=False)
        self.seen = seen

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)

        def recording(environ: dict[str, typing.Any], start_response: typing.Any) -> typing.Any:
            def start(status: str, headers: typing.Any, *exc_info: typing.Any) -> typing.Any:
                path = environ.get("PATH_INFO", "")
                self.seen.append(
                    (environ["REQUEST_METHOD"], path, int(status[:3]), time.monotonic())
                )
                return start_response(status, headers, *exc_info)

            return app(environ, start)

        self._server = make_server(self._ip_address, self._port, recording, True)
        self._server_ready_event.set()
        self._server.serve_forever()

    def close(self) -> None:
        self.stop()
        if self._server is not None:
            self._server.server_close()  # stop() leaves the port bound


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_users(endpoint: str) -> dict[str, tuple[str, str]]:
    """Two IAM users with access keys: "uploader" may do anything on S3, "auditor" only read."""
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="bootstrap",
        aws_secret_access_key="bootstrap",
    )
    policies = {
        "uploader": ["s3:*"],
        "auditor": ["s3:GetObject", "s3:ListBucket"],
    }
    keys = {}
    for user, actions in policies.items():
        iam.create_user(UserName=user)
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
        }
        iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps(document))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        keys[user] = (key["AccessKeyId"], key["SecretAccessKey"])
    # From now on moto checks every request's signature and the caller's IAM policy.
    requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=5).raise_for_status()
    return keys


def attempt(label: str, upload: typing.Callable[[], str]) -> None:
    started = time.monotonic()
    try:
        outcome = f"ok: {upload()}"
    except Exception as exc:
        # boto3's upload_file raises S3UploadFailedError while handling the ClientError.
        cause = getattr(exc.__context__, "response", {}).get("Error", {}).get("Code")
        outcome = f"raised {type(exc).__name__}" + (f" ({cause})" if cause else f": {exc}")
    attempts = upload_attempts()
    print(f"  {label:<22} {outcome}")
    print(f"  {'':<22} {attempts} attempt(s) in {time.monotonic() - started:.2f}s")


def upload_attempts() -> int:
    return int(S3Uploader.upload.statistics.get("attempt_number", 0))  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", help="write what the server saw to this JSON file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stdout, format="    log: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request

    seen: list[tuple[str, str, int, float]] = []
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = RecordingMotoServer(port, seen)
    server.start()
    report: dict[str, typing.Any] = {}
    with tempfile.TemporaryDirectory() as work:
        invoice = os.path.join(work, "invoice.pdf")
        with open(invoice, "wb") as f:
            f.write(b"%PDF-1.4 pertinax example\n")
        try:
            keys = make_users(endpoint)
            uploader = S3Uploader(endpoint, *keys["uploader"])
            uploader.client.create_bucket(Bucket="invoices")
            print(f"moto's S3 on {endpoint}, IAM enforced")

            def scenario(name: str, label: str, upload: typing.Callable[[], str]) -> None:
                before = len(seen)
                started = time.monotonic()
                attempt(label, upload)
                report[name] = {
                    "attempts": upload_attempts(),
                    "seen": [(m, p, s, at - started) for m, p, s, at in seen[before:]],
                }

            # The endpoint goes away; it comes back on the same port 0.2 s later.
            server.close()
            restarted: list[RecordingMotoServer] = []

            def restart() -> None:
                time.sleep(0.2)
                again = RecordingMotoServer(port, seen)
                again.start()
                restarted.append(again)

            restarter = threading.Thread(target=restart)
            restarter.start()
            # A new client: no pooled connection survives the outage.
            during_outage = S3Uploader(endpoint, *keys["uploader"])
            scenario(
                "outage",
                "outage, then back",
                lambda: during_outage.upload(invoice, "invoices", "2024/001.pdf"),
            )
            restarter.join()
            server = restarted[0]

            auditor = S3Uploader(endpoint, *keys["auditor"])
            scenario(
                "access_denied",
                "read-only user",
                lambda: auditor.upload(invoice, "invoices", "2024/002.pdf"),
            )
            scenario(
                "no_such_bucket",
                "missing bucket",
                lambda: uploader.upload(invoice, "no-such-bucket", "x.pdf"),
            )
            missing = os.path.join(work, "missing.pdf")
            scenario(
                "missing_file",
                "missing local file",
                lambda: uploader.upload(missing, "invoices", "x.pdf"),
            )
        finally:
            server.close()

    print("the server saw:")
    for name, part in report.items():
        for method, path, status, at in part["seen"]:
            print(f"  {name:<15} {at:5.2f}s  {method} {path} -> {status}")
        if not part["seen"]:
            print(f"  {name:<15} nothing")
    if args.report:
        with open(args.report, "w") as f:
            json.dump(report, f)


if __name__ == "__main__":
    main()
