"""A local S3 stand-in server for the object-storage backend's tests: moto's server mode (a real
HTTP server speaking the S3 protocol, on 127.0.0.1 and a free port), started by the test itself.
No S3 server installs from the package registries here; production uses MinIO, OSS, COS or AWS."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

ACCESS_KEY, SECRET_KEY = "permitflow-test", "permitflow-test-secret"


@dataclass(frozen=True)
class S3StandIn:
    endpoint: str
    bucket: str

    def settings(self) -> dict[str, Any]:
        """The create_app overrides selecting this server (PERMITFLOW_STORAGE=s3 and the rest)."""
        return {
            "storage": "s3",
            "s3_endpoint": self.endpoint,
            "s3_bucket": self.bucket,
            "s3_access_key": ACCESS_KEY,
            "s3_secret_key": SECRET_KEY,
        }

    def env(self) -> dict[str, str]:
        return {
            "PERMITFLOW_STORAGE": "s3",
            "PERMITFLOW_S3_ENDPOINT": self.endpoint,
            "PERMITFLOW_S3_BUCKET": self.bucket,
            "PERMITFLOW_S3_ACCESS_KEY": ACCESS_KEY,
            "PERMITFLOW_S3_SECRET_KEY": SECRET_KEY,
        }

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
        )

    def objects(self) -> list[str]:
        found = self.client().list_objects_v2(Bucket=self.bucket).get("Contents", [])
        return sorted(o["Key"] for o in found)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def s3_stand_in() -> Iterator[S3StandIn]:
    """Start moto's S3 server, make a bucket of this run's own, stop the server at the end."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        stand_in = S3StandIn(f"http://127.0.0.1:{port}", f"permitflow-{uuid.uuid4().hex[:8]}")
        stand_in.client().create_bucket(Bucket=stand_in.bucket)
        yield stand_in
    finally:
        server.stop()
