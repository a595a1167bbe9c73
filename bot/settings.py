"""Settings, read once from the environment (TEPAI_*) or a `.env` file, then passed down."""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.blobs import S3Access, directory_of, open_blobs
from storage.db import sqlite_url

if TYPE_CHECKING:
    from storage.evidence_store import EvidenceStore

DEFAULT_API_SERVER = "https://api.telegram.org"
DEFAULT_WEB_URL = "http://127.0.0.1:8080"
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TEPAI_", env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore")

    bot_token: SecretStr | None = None
    database_url: str | None = None  # default: SQLite file under data_dir
    api_server: str = DEFAULT_API_SERVER  # a self-hosted Bot API server's base URL
    data_dir: Path = Path("data")
    policy: str = "yangquan"  # a preset name or a path to a TOML file
    tz: str = "Asia/Shanghai"
    bot_username: str | None = None  # for invite links made offline
    language: str = "zh"  # for new users and the command line
    scheduler: str = "inline"  # inline: `tepai run` also schedules and sends; off: run `tepai scheduler`
    send_rate: float = 30.0  # messages a second, all chats together
    chat_interval: float = 1.0  # seconds between two messages to one chat
    # The scheduler lease: how long a holder that stopped renewing keeps it (so how soon another
    # process takes over after a crash); it is renewed, and tried by the others, every third of it.
    lease_seconds: float = Field(default=90.0, ge=0.3)
    web_url: str = DEFAULT_WEB_URL  # the console's public base URL, for sign-in links
    proxy: str | None = None  # http://, https:// or socks5:// proxy for the Bot API (aiohttp-socks)
    log_format: str = "text"  # json: one JSON object per line
    log_level: str = "INFO"  # DEBUG also shows APScheduler's line for every job run
    map_tiles: str | None = None  # a tile URL template ({z}/{x}/{y}) for the console's and the dossier's maps; none: plain
    # `tepai webhook`: the public https URL Telegram posts updates to (its path is the one served),
    # and the secret Telegram sends back in X-Telegram-Bot-Api-Secret-Token; both required there.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # Where evidence (photos, documents) is kept: a directory (default: data_dir/evidence) or
    # s3://bucket/prefix, reached with the TEPAI_S3_* settings (MinIO, Aliyun OSS, Tencent COS, AWS).
    evidence_url: str | None = None
    s3_endpoint: str | None = None  # e.g. http://127.0.0.1:9000 (MinIO); none: AWS itself
    s3_access_key: SecretStr | None = None  # none: AWS_* variables or the machine's role
    s3_secret_key: SecretStr | None = None
    s3_region: str = "us-east-1"
    s3_virtual_hosted: bool = False  # bucket.host addressing (Aliyun OSS, Tencent COS); default path-style
    # `tepai run` and `tepai scheduler`: /healthz, /readyz and /metrics on this port (none: not
    # served; `tepai webhook` serves them on its own listener), on this address.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"
    # redis://[:password@]host:port/db: conversation state in Redis, and (`tepai webhook`) one
    # person's updates one at a time across workers through Redis locks; none: both in the database
    # (across workers, a PostgreSQL advisory lock per person).
    redis_url: SecretStr | None = None

    @field_validator("scheduler")
    @classmethod
    def _scheduler_mode(cls, value: str) -> str:
        if value not in ("inline", "off"):
            raise ValueError("scheduler must be inline or off")
        return value

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in ("zh", "en"):
            raise ValueError("language must be zh or en")
        return value

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in ("text", "json"):
            raise ValueError("log_format must be text or json")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("log_level must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @field_validator("proxy")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://", "socks4://", "socks5://")):
            raise ValueError("proxy must start with http://, https://, socks4:// or socks5://")
        return value or None

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("webhook_url must start with https:// (Telegram posts only to https)")
        return value or None

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for setWebhook's secret_token: 1-256 of A-Z, a-z, 0-9, _ and -.
        if value is not None and value.get_secret_value() and not WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("webhook_secret must be 1 to 256 characters of A-Z, a-z, 0-9, _ and -")
        return value if value is not None and value.get_secret_value() else None

    @field_validator("evidence_url")
    @classmethod
    def _evidence_url(cls, value: str | None) -> str | None:
        if value and "://" in value and not value.startswith(("s3://", "file://")):
            raise ValueError("evidence_url must be a directory or s3://bucket/prefix")
        if value and value.startswith("s3://") and not value[len("s3://"):].split("/")[0]:
            raise ValueError("evidence_url s3://bucket/prefix needs a bucket")
        return value or None
    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not value.get_secret_value().startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("redis_url must start with redis://, rediss:// or unix://")
        return value

    @field_validator("bot_username")
    @classmethod
    def _strip_at(cls, value: str | None) -> str | None:
        return value.lstrip("@") if value else value

    @field_validator("api_server")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/") or DEFAULT_API_SERVER

    @field_validator("web_url")
    @classmethod
    def _web_base(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("web_url must start with http:// or https://")
        return value.rstrip("/")

    @property
    def db_url(self) -> str:
        return self.database_url or sqlite_url(self.data_dir.resolve() / "tepai.db")

    @property
    def evidence_dir(self) -> Path:
        """The default evidence store (without TEPAI_EVIDENCE_URL)."""
        return self.data_dir.resolve() / "evidence"

    @property
    def evidence_location(self) -> str:
        return self.evidence_url or str(self.evidence_dir)

    @property
    def evidence_folder(self) -> Path | None:
        """The directory the bot keeps evidence in (TEPAI_EVIDENCE_URL's, or the default); None when
        it is in a bucket. What `tepai backup` archives, `restore` fills and `evidence migrate` copies."""
        return directory_of(self.evidence_location)

    def evidence_store(self, on_error: Callable[[str], None] | None = None) -> EvidenceStore:
        """The configured store; `on_error(operation)` counts its failures (for /metrics)."""
        from storage.evidence_store import EvidenceStore  # Pillow and the image checks: only when used

        return EvidenceStore(open_blobs(self.evidence_location, self.s3_access), on_error=on_error)

    @property
    def s3_access(self) -> S3Access:
        return S3Access(endpoint=self.s3_endpoint, region=self.s3_region, virtual_hosted=self.s3_virtual_hosted,
                        access_key=self.s3_access_key.get_secret_value() if self.s3_access_key else None,
                        secret_key=self.s3_secret_key.get_secret_value() if self.s3_secret_key else None)

    @property
    def lease_ttl(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


class LanguageSetting(BaseSettings):
    """Only TEPAI_LANGUAGE (environment or `.env`): the command line needs it for its help and its
    usage errors before the other settings are checked."""

    model_config = Settings.model_config

    language: str = "zh"


def cli_language() -> str:
    """The command line's language; anything but a known language reads as Chinese (the default)."""
    from locales import normalize

    return normalize(LanguageSetting().language.strip().lower())
