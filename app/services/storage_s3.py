"""The S3-compatible storage backend (MinIO, OSS, COS, AWS S3) through boto3: one object per file,
uploaded in parts and read in chunks, so no whole file is held in memory. Selected by
``PERMITFLOW_STORAGE=s3`` with ``PERMITFLOW_S3_ENDPOINT``, ``PERMITFLOW_S3_BUCKET``,
``PERMITFLOW_S3_ACCESS_KEY`` and ``PERMITFLOW_S3_SECRET_KEY``. Not transactional: the storage
front (services/storage.py) deletes what a rolled-back transaction wrote."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from sqlalchemy.orm import Session

from app.config import Settings

from .storage import CHUNK, Listed

MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Backend:
    name = "s3"
    transactional = False

    def __init__(self, client: Any, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Backend:
        if not settings.s3_bucket:
            raise ValueError("PERMITFLOW_STORAGE=s3 needs PERMITFLOW_S3_BUCKET")
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint or None,
            aws_access_key_id=settings.s3_access_key or None,
            aws_secret_access_key=settings.s3_secret_key or None,
            region_name=settings.s3_region,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 3},
                connect_timeout=5,
                read_timeout=30,
            ),
        )
        return cls(client, settings.s3_bucket)

    def write(self, session: Session, key: str, stream: BinaryIO) -> int:
        counted = _Counting(stream)
        self.client.upload_fileobj(counted, self.bucket, key)
        return counted.size

    def chunks(self, key: str, session: Session | None = None) -> Iterator[bytes] | None:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING:
                return None
            raise
        return _body_chunks(body)

    def exists(self, session: Session, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING:
                return False
            raise
        return True

    def delete(self, session: Session, keys: list[str]) -> None:
        for key in keys:
            names = [o.key for o in self.listing(session, key)] if key.endswith("/") else [key]
            for name in names:
                self.client.delete_object(Bucket=self.bucket, Key=name)

    def listing(self, session: Session, prefix: str = "") -> list[Listed]:
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            found += [Listed(o["Key"], int(o["Size"])) for o in page.get("Contents", [])]
        return sorted(found, key=lambda o: o.key)

    def ping(self, session: Session) -> None:
        self.client.head_bucket(Bucket=self.bucket)


def _body_chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()


class _Counting:
    """A read-only stream that counts what boto3 read from it."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.size += len(data)
        return data
