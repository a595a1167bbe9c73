"""A real S3-compatible server for tests: moto's standalone server on loopback, one per test run,
and a fresh bucket for each test that asks for one."""
from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from storage.blobs import S3Access, S3Blobs
from testkit.ports import free_port

# Any key works with moto; set, so that the client never looks for a machine role.
ACCESS = dict(access_key="tepai-test", secret_key="tepai-test-secret", region="us-east-1")




@dataclass
class MotoS3:
    endpoint: str
    _client: object = None

    @property
    def access(self) -> S3Access:
        return S3Access(endpoint=self.endpoint, timeout_s=5, **ACCESS)

    def env(self, url: str) -> dict[str, str]:
        """TEPAI_* settings for a `tepai` process using the bucket at `url`."""
        return {"TEPAI_EVIDENCE_URL": url, "TEPAI_S3_ENDPOINT": self.endpoint, "TEPAI_S3_ACCESS_KEY": ACCESS["access_key"],
                "TEPAI_S3_SECRET_KEY": ACCESS["secret_key"], "TEPAI_S3_REGION": ACCESS["region"]}

    def new_bucket(self) -> str:
        """A new empty bucket's name."""
        if self._client is None:  # making a boto3 client takes a few hundred ms: once per run
            import boto3  # moto's own dependency: only tests make buckets

            self._client = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS["access_key"],
                                        aws_secret_access_key=ACCESS["secret_key"], region_name=ACCESS["region"])
        name = f"tepai-{uuid.uuid4().hex[:12]}"
        self._client.create_bucket(Bucket=name)
        return name

    def blobs(self, prefix: str = "evidence") -> S3Blobs:
        return S3Blobs(self.new_bucket(), prefix, self.access)


def start_moto() -> tuple[MotoS3, object]:
    """The server (stop it with `.stop()`), on TEPAI_TEST_S3_PORT or a free port."""
    from moto.server import ThreadedMotoServer

    port = int(os.environ.get("TEPAI_TEST_S3_PORT") or free_port())
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return MotoS3(f"http://127.0.0.1:{port}"), server
