"""is_transient on what botocore and boto3 raise for real: error documents from a local
endpoint that answers any AWS error code, moto's server (with IAM enforced for the
credential errors), a closed port, a silent server and a full accept queue."""

from __future__ import annotations

import http.server
import json
import os
import threading
import typing
from pathlib import Path

import pertinax
import pytest
from local_servers import closed_port, free_port, full_backlog, raised, silent_server
from pertinax.transient import is_transient

# --- botocore ----------------------------------------------------------------------------------


class _AwsErrors(http.server.BaseHTTPRequestHandler):
    """Answers ``GET`` or ``PUT /<Code>/<status>`` with S3's XML error document; ``/close/...`` hangs
    up without an answer. 429 and 503 carry ``Retry-After: 3``."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        _, code, status = self.path.split("?", 1)[0].split("/")[:3]
        if code == "close":
            self.close_connection = True
            return
        body = f"<Error><Code>{code}</Code><Message>m</Message></Error>".encode()
        self.send_response(int(status))
        if status in ("429", "503"):
            self.send_header("Retry-After", "3")
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PUT = do_GET


def s3(
    endpoint: str, *, key_id: str = "testing", secret: str = "testing", **config: typing.Any
) -> typing.Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        # botocore's own retries would hide the first failure.
        config=Config(retries={"total_max_attempts": 1}, s3={"addressing_style": "path"}, **config),
    )


@pytest.fixture(scope="module")
def aws_errors() -> typing.Iterator[typing.Any]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AwsErrors)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield s3(f"http://127.0.0.1:{server.server_address[1]}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


TRANSIENT_CODES = [
    ("Throttling", 400),
    ("ThrottlingException", 400),
    ("RequestLimitExceeded", 503),
    ("SlowDown", 503),
    ("RequestTimeout", 400),
    ("InternalError", 500),
    ("ServiceUnavailable", 503),
    ("SomethingNew", 500),  # any 5xx
    ("SomethingNew", 502),
    ("TooManyRequests", 429),
    # other services' spellings of throttling and server faults
    ("ThrottledException", 400),
    ("TooManyRequestsException", 400),
    ("ProvisionedThroughputExceededException", 400),
    ("RequestTimeoutException", 408),
    ("InternalFailure", 500),
    ("ServiceUnavailableException", 503),
]
PERMANENT_CODES = [
    ("AccessDenied", 403),
    ("InvalidAccessKeyId", 403),
    ("SignatureDoesNotMatch", 403),
    ("ExpiredToken", 400),
    ("NoSuchBucket", 404),
    ("NoSuchKey", 404),
    ("AccessDenied", 503),  # the code wins over the status
    ("InvalidArgument", 400),
    ("AccessDeniedException", 400),
    ("InvalidClientTokenId", 403),
    ("UnrecognizedClientException", 400),
    ("ExpiredTokenException", 400),
]


@pytest.mark.parametrize(("code", "status"), TRANSIENT_CODES + PERMANENT_CODES)
def test_botocore_client_error_codes(aws_errors: typing.Any, code: str, status: int) -> None:
    from botocore.exceptions import ClientError

    exc = raised(lambda: aws_errors.get_object(Bucket=code, Key=str(status)))
    assert isinstance(exc, ClientError)
    assert exc.response["Error"]["Code"] == code
    assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert is_transient(exc) is ((code, status) in TRANSIENT_CODES)


def test_botocore_retry_after_header(aws_errors: typing.Any) -> None:
    slept: list[float] = []
    retrying = pertinax.Retrying(
        wait=pertinax.wait_retry_after(fallback=pertinax.wait_fixed(0.5)),
        retry=pertinax.retry_if_transient(),
        stop=pertinax.stop_after_attempt(2),
        sleep=slept.append,
        reraise=True,
    )
    with pytest.raises(Exception, match="SlowDown"):
        retrying(aws_errors.get_object, Bucket="SlowDown", Key="503")
    assert slept == [3.0]


def test_botocore_connection_errors() -> None:
    from botocore.exceptions import (
        ConnectTimeoutError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    refused = raised(lambda: s3(f"http://127.0.0.1:{closed_port()}").list_buckets())
    assert isinstance(refused, EndpointConnectionError)
    assert is_transient(refused)
    with silent_server() as port:
        slow = raised(lambda: s3(f"http://127.0.0.1:{port}", read_timeout=0.2).list_buckets())
    assert isinstance(slow, ReadTimeoutError)
    assert is_transient(slow)
    with full_backlog() as port:
        stuck = raised(lambda: s3(f"http://127.0.0.1:{port}", connect_timeout=0.2).list_buckets())
    assert isinstance(stuck, ConnectTimeoutError)
    assert is_transient(stuck)


def test_botocore_connection_closed(aws_errors: typing.Any) -> None:
    from botocore.exceptions import ConnectionClosedError

    exc = raised(lambda: aws_errors.get_object(Bucket="close", Key="x"))
    assert isinstance(exc, ConnectionClosedError)
    assert is_transient(exc)


def test_botocore_no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import boto3
    from botocore.exceptions import NoCredentialsError

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    client = boto3.session.Session().client(
        "s3", endpoint_url=f"http://127.0.0.1:{closed_port()}", region_name="us-east-1"
    )
    exc = raised(client.list_buckets)
    assert isinstance(exc, NoCredentialsError)
    assert not is_transient(exc)


@pytest.fixture(scope="module")
def moto_endpoint() -> typing.Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        server._server.server_close()  # type: ignore[union-attr]  # stop() leaves it bound


def test_moto_missing_bucket_and_key(moto_endpoint: str) -> None:
    client = s3(moto_endpoint)
    missing_bucket = raised(lambda: client.put_object(Bucket="no-such-bucket", Key="k", Body=b"x"))
    assert missing_bucket.response["Error"]["Code"] == "NoSuchBucket"  # type: ignore[attr-defined]
    assert not is_transient(missing_bucket)
    client.create_bucket(Bucket="present")
    missing_key = raised(lambda: client.get_object(Bucket="present", Key="absent"))
    assert missing_key.response["Error"]["Code"] == "NoSuchKey"  # type: ignore[attr-defined]
    assert not is_transient(missing_key)


def test_boto3_upload_failures_are_decided_by_the_client_error_they_wrap(
    moto_endpoint: str, aws_errors: typing.Any, tmp_path: Path
) -> None:
    # boto3's upload_file raises S3UploadFailedError while handling the ClientError (no
    # `from`): the context decides.
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import ClientError

    local = tmp_path / "report.csv"
    local.write_text("a,b\n")
    missing = raised(lambda: s3(moto_endpoint).upload_file(str(local), "no-such-bucket", "k"))
    assert isinstance(missing, S3UploadFailedError)
    assert isinstance(missing.__context__, ClientError)
    assert not is_transient(missing)
    slow = raised(lambda: aws_errors.upload_file(str(local), "SlowDown", "503"))
    assert isinstance(slow, S3UploadFailedError)
    assert slow.__context__.response["Error"]["Code"] == "SlowDown"  # type: ignore[union-attr]
    assert is_transient(slow)


def test_moto_credentials_and_permissions(moto_endpoint: str) -> None:
    import boto3
    import requests

    iam = boto3.client(
        "iam",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    iam.create_user(UserName="reader")
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}],
    }
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    s3(moto_endpoint).create_bucket(Bucket="guarded")
    # moto checks signatures and IAM policies from here on (until set back below).
    requests.post(f"{moto_endpoint}/moto-api/reset-auth", data=b"0", timeout=5).raise_for_status()
    try:
        reader = s3(moto_endpoint, key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
        denied = raised(lambda: reader.put_object(Bucket="guarded", Key="k", Body=b"x"))
        unknown = raised(lambda: s3(moto_endpoint, key_id="AKIAUNKNOWN").list_buckets())
        forged = s3(moto_endpoint, key_id=key["AccessKeyId"], secret="not-the-secret")
        bad_signature = raised(lambda: forged.get_object(Bucket="guarded", Key="k"))
    finally:
        requests.post(f"{moto_endpoint}/moto-api/reset-auth", data=b"inf", timeout=5)
    for exc, code in [
        (denied, "AccessDenied"),
        (unknown, "InvalidAccessKeyId"),
        (bad_signature, "SignatureDoesNotMatch"),
    ]:
        assert exc.response["Error"]["Code"] == code  # type: ignore[attr-defined]
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 403  # type: ignore[attr-defined]
        assert not is_transient(exc), code


def test_moto_upload_of_a_missing_file(moto_endpoint: str, tmp_path: Path) -> None:
    client = s3(moto_endpoint)
    client.create_bucket(Bucket="uploads")
    exc = raised(lambda: client.upload_file(str(tmp_path / "missing.csv"), "uploads", "k"))
    assert isinstance(exc, FileNotFoundError)
    assert not is_transient(exc)
