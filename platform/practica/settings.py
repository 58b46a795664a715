"""Practica settings, read from the environment.

Production is the default: DEBUG off, secure cookies, a SECRET_KEY that must be given.
`bin/run` and `bin/test` set the documented development values (see README).
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parents[2]

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY") if not DEBUG else env.str("SECRET_KEY", default="dev-insecure")
BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost").lower()
# The scheme and port used to build links to practice subdomains, e.g. "http" and ":8000" in dev.
PUBLIC_SCHEME = env.str("PUBLIC_SCHEME", default="https")
PUBLIC_PORT = env.str("PUBLIC_PORT", default="")

# Practice custom domains are checked against the Domain table by the tenant middleware,
# so any host may reach it; unknown hosts get the "no such practice" page.
# So the default admits every host: the Domain table is the allow-list (links are always built
# from BASE_DOMAIN or a practice's domain, never from the request's Host header).
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])

DATABASES = {"default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/practica")}
# django-tenants' backend, counting the practice schemas each connection served.
DATABASES["default"]["ENGINE"] = "practica.core.database"
# Short-lived: a backend keeps the catalog of every practice schema it touched (ARCHITECTURE.md).
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
# ...and is closed after the request or task that took it past this many schemas (0: never).
DB_SCHEMAS_PER_CONNECTION = env.int("DB_SCHEMAS_PER_CONNECTION", default=200)
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

# Fernet keys for message bodies and attachments, newest first (see practica.messaging.crypto); empty:
# derived from SECRET_KEY.
MESSAGE_ENCRYPTION_KEYS = env.list("MESSAGE_ENCRYPTION_KEYS", default=[])
# Raw 271 eligibility responses at rest (PHI): Fernet keys, newest first; derived from SECRET_KEY if empty.
ELIGIBILITY_ENCRYPTION_KEYS = env.list("ELIGIBILITY_ENCRYPTION_KEYS", default=[])
# At most this many messages from one patient per MESSAGING_RATE_SECONDS (see practica.messaging.services).
MESSAGING_PATIENT_RATE = env.int("MESSAGING_PATIENT_RATE", default=20)
MESSAGING_RATE_SECONDS = env.int("MESSAGING_RATE_SECONDS", default=600)
# No second SMS notice of new messages in a thread within this many minutes (notifications.message_notices).
MESSAGE_SMS_NOTICE_MINUTES = env.int("MESSAGE_SMS_NOTICE_MINUTES", default=15)
# Database threads per web process for WebSocket work (practica.messaging.consumers.in_practice): each keeps
# its own connection, so calls of different sockets wait on PostgreSQL side by side. 0: the one
# thread Channels shares with the rest of the process.
SOCKET_DB_THREADS = env.int("SOCKET_DB_THREADS", default=4)
# An open socket checks its session this often even when nothing happens on it, so it closes soon
# after the session's idle limit (changes of access close it at once: see practica.core.access).
SOCKET_ACCESS_CHECK_SECONDS = 15.0

# Empty REDIS_URL means "no Redis": in-process fallbacks, announced at start (see practica.core.apps).
REDIS_URL = env.str("REDIS_URL", default="")

SHARED_APPS = [
    "django_tenants",
    "tenants",
    "practica.accounts",
    "practica.core",
    "practica.x12",
    "practica.codesets",
    "notifications.routing",
    "practica.statements.due",
    "practica.eligibility.due",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "channels",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "practica.audit",
    "practica.patients",
    "practica.scheduling",
    "portal",
    "practica.patient_billing",
    "practica.intake",
    "practica.messaging",
    "practica.insurance",
    "practica.claims",
    "practica.statements",
    "practica.remittance",
    "practica.eligibility",
    "practica.denials",
    "notifications",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.Practice"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# New practices are cloned from this migrated template schema (see tenants.provisioning).
TENANT_BASE_SCHEMA = "practice_template"
TENANT_CREATION_FAKES_MIGRATIONS = True
# `SET search_path` once after the tenant changes rather than before every query: django-tenants
# forgets the setting when the tenant changes, the connection closes or a transaction or savepoint
# rolls back (which would undo it), so a query never runs under a stale path.
TENANT_LIMIT_SET_CALLS = True
PUBLIC_SCHEMA_URLCONF = "practica.urls_public"
ROOT_URLCONF = "practica.urls_practice"
DEFAULT_NOT_FOUND_TENANT_VIEW = "practica.core.views.unknown_practice"
# How long a process routes a known host from memory (see practica.core.routing); 0 turns it off.
TENANT_ROUTING_CACHE_SECONDS = env.int("TENANT_ROUTING_CACHE_SECONDS", default=5)

MIDDLEWARE = [
    "practica.core.middleware.RequestIdMiddleware",
    # Outside everything that can answer early: every 4xx under /api/ is the API's JSON error.
    "api.middleware.ApiErrorsMiddleware",
    "practica.core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before the tenant middleware, whose "no such practice" page returns early: every page
    # gets the frame and content-security headers.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "practica.core.routing.CachedTenantMiddleware",
    "tenants.middleware.PracticeStatusMiddleware",
    # After routing (which reads only the host), so a practice's API answers it in its JSON.
    "practica.core.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "practica.core.middleware.SignedInResponsesNotStoredMiddleware",
    # English everywhere but the patient portal, which follows the patient (see portal.locale).
    "portal.locale.PortalLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "practica.accounts.middleware.PracticeAccessMiddleware",
    "tenants.subscriptions.grace.ReadOnlyAfterGraceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "practica.audit.middleware.AuditContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "platform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "practica.core.context_processors.practice",
            ],
        },
    },
]

ASGI_APPLICATION = "practica.asgi.application"
WSGI_APPLICATION = "practica.wsgi.application"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"

# Brute-force lockout: 5 failures per username+IP lock for 15 minutes, and so do 20 failures from
# one IP whatever the usernames (practica.accounts.lockout).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=20)
AXES_HANDLER = "practica.accounts.lockout.AccountAndAddressLockout"
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "email"
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# How many proxies of ours stand in front of the app (nginx: 1); the visitor's address for the
# audit trail and the lockout is then read from X-Forwarded-For (see practica.core.net.client_ip).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "practica.core.net.client_ip"

# Sessions: host-only cookies (each practice subdomain has its own), idle timeout of 30 minutes.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
# The portal's language switcher remembers a visitor's choice in this cookie (portal.locale).
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True

STRIPE_HOSTED_ORIGINS = [
    "https://checkout.stripe.com",
    "https://connect.stripe.com",
    "https://billing.stripe.com",
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", "ws:", "wss:"],
        "frame-ancestors": ["'none'"],
        # Chromium checks form-action on a form's redirects too: the POSTs that answer with a
        # redirect to Stripe's hosted pages (Checkout, Connect onboarding, the billing portal) or
        # to a practice's host (signup's and sign-in's hand-off). A source without a port allows
        # the scheme's default port only, so the port links are built with is part of it
        # (":8000" in the demo).
        "form-action": [
            "'self'",
            f"{PUBLIC_SCHEME}://*.{BASE_DOMAIN}{PUBLIC_PORT}",
            f"{PUBLIC_SCHEME}://{BASE_DOMAIN}{PUBLIC_PORT}",
            *STRIPE_HOSTED_ORIGINS,
        ],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

LANGUAGE_CODE = "en"
# The patient portal's languages (the back office is English only). Each named in itself, as a
# language switcher should; the same codes as practica.patients.models.Language.
LANGUAGES = [("en", "English"), ("es", "Español")]
# Compiled by bin/test, bin/run and infra/release.sh (manage.py compilemessages), not committed.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / ".local" / "static"))
STATICFILES_DIRS = [BASE_DIR / "platform" / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / ".local" / "media"))
MEDIA_URL = "/media/"
# Every practice's files live under MEDIA_ROOT/<schema>/; never served publicly.
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"
# Claims through the folder clearinghouse adapter: each practice's 837P files go to
# EDI_ROOT/<schema>/outbox and its 999 and 277CA files arrive in EDI_ROOT/<schema>/inbox.
EDI_ROOT = env.path("EDI_ROOT", default=str(BASE_DIR / ".local" / "edi"))
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Intake uploads: the largest file a patient may send, and the dotted path of a callable
# `scan(file) -> None` that raises practica.intake.errors.UploadRejected for an infected file.
INTAKE_MAX_UPLOAD_BYTES = env.int("INTAKE_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
INTAKE_VIRUS_SCANNER = env.str("INTAKE_VIRUS_SCANNER", default="practica.intake.uploads.no_virus_scan")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache keys always start with the practice's schema (django_tenants.cache.make_key).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        }
    }
    # Redis pub/sub: see practica.core.channel_layer for why.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "practica.core.channel_layer.RedisPubSubLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL}]},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
        }
    }
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Celery: durable background work; tenant-schemas-celery carries the schema with each task.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"Practica <no-reply@{BASE_DOMAIN}>")

# Notifications: reminders, SMS over Twilio, email. Credentials at rest are encrypted with these
# Fernet keys (the first encrypts, all decrypt, so keys can be rotated); derived from SECRET_KEY when unset.
NOTIFICATIONS_ENCRYPTION_KEYS = env.list("NOTIFICATIONS_ENCRYPTION_KEYS", default=[])
# The platform's Twilio account, for practices without their own Messaging Service.
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_MESSAGING_SERVICE_SID = env.str("TWILIO_MESSAGING_SERVICE_SID", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
# Where the Twilio SDK sends requests; only changed for a local contract mock.
TWILIO_API_BASE = env.str("TWILIO_API_BASE", default="https://api.twilio.com")
# A practice handed to a worker is not handed out again for this long; a claimed message whose
# worker died is claimed again after the second figure.
NOTIFICATIONS_LEASE_SECONDS = env.int("NOTIFICATIONS_LEASE_SECONDS", default=120)
NOTIFICATIONS_STALE_CLAIM_SECONDS = env.int("NOTIFICATIONS_STALE_CLAIM_SECONDS", default=300)
NOTIFICATIONS_TICK_SECONDS = env.float("NOTIFICATIONS_TICK_SECONDS", default=30.0)

INVITATION_MAX_AGE_SECONDS = 7 * 24 * 3600
# Patients' portal sessions end after this much inactivity (staff: SESSION_IDLE_SECONDS).
PORTAL_IDLE_SECONDS = env.int("PORTAL_IDLE_SECONDS", default=15 * 60)
HANDOFF_MAX_AGE_SECONDS = 60

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.PracticeSessionAuthentication"],
    # JSON in and out only: what the schema documents, and a 4xx is never an HTML page.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.IsPracticeStaff"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.PracticaAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PracticaPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Practica API",
    "DESCRIPTION": "Practice-scoped API. The host name selects the practice.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get their own components: read-only fields are not asked for.
    "COMPONENT_SPLIT_REQUEST": True,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"tenant": {"()": "practica.core.logging.TenantContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(schema_name)s %(request_id)s",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["tenant"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
WHITENOISE_USE_FINDERS = DEBUG

# Stripe: the platform's account (subscriptions) and Connect (patients pay their practice).
# STRIPE_API_BASE is empty in production (the real API); tests point it at their fake server.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_PUBLISHABLE_KEY = env.str("STRIPE_PUBLISHABLE_KEY", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_CONNECT_WEBHOOK_SECRET = env.str("STRIPE_CONNECT_WEBHOOK_SECRET", default="")
# After a failed subscription payment the practice keeps working this long, then turns read-only.
SUBSCRIPTION_GRACE_DAYS = env.int("SUBSCRIPTION_GRACE_DAYS", default=7)
PAY_LINK_MAX_AGE_DAYS = 30
PAY_LINK_MAX_USES = 3
# Practice schemas copied from the template ahead of signups, so a signup only renames one
# (tenants.pool); 0 turns the pool off and every signup copies the template.
PRACTICE_READY_SCHEMAS = env.int("PRACTICE_READY_SCHEMAS", default=5)
# A cancelled practice's data is kept this long (the owner can export it), then purged.
PRACTICE_DATA_RETENTION_DAYS = env.int("PRACTICE_DATA_RETENTION_DAYS", default=90)
# A booking that asks for a deposit keeps its slot this long while the patient pays.
DEPOSIT_HOLD_MINUTES = env.int("DEPOSIT_HOLD_MINUTES", default=15)

# Every periodic task, in one place (a second assignment elsewhere would silently drop entries).
CELERY_BEAT_SCHEDULE = {
    # Reminders that have come due are handed to workers.
    "notifications-tick": {"task": "notifications.tick", "schedule": NOTIFICATIONS_TICK_SECONDS},
    # Emails about people's own logins that the task queued on commit did not send.
    "account-emails": {"task": "notifications.send_account_emails", "schedule": 60.0},
    # Stripe events stored but left unprocessed (a worker died) are picked up by this sweep.
    "stripe-events-sweep": {
        "task": "practica.patient_billing.tasks.process_pending_stripe_events",
        "schedule": 300.0,
    },
    # Each deposit hold is released by a task queued for its end; this sweep catches lost ones.
    "deposit-holds": {
        "task": "practica.patient_billing.tasks.release_expired_deposit_holds",
        "schedule": 600.0,
    },
    # Acknowledgements (999, 277CA) the folder clearinghouse dropped in practices' EDI inboxes.
    "claims-acknowledgement-inboxes": {
        "task": "practica.claims.tasks.import_acknowledgement_inboxes",
        "schedule": 300.0,
    },
    # Statement work come due (monthly runs, dunning steps, installments) is handed to workers.
    "statements-tick": {"task": "statements.tick", "schedule": 300.0},
    "statements-enrol-practices": {"task": "statements.enrol_practices", "schedule": 86400.0},
    # Practices whose nightly eligibility batch (the next business day's visits) has come due.
    "eligibility-tick": {"task": "eligibility.tick", "schedule": 300.0},
    "eligibility-enrol-practices": {"task": "eligibility.enrol_practices", "schedule": 86400.0},
    # Ready schemas for signups topped up (also queued after each signup).
    "practice-ready-schemas": {"task": "tenants.tasks.refill_ready_schemas", "schedule": 60.0},
    # Practices whose subscription ended more than PRACTICE_DATA_RETENTION_DAYS ago are purged.
    "practice-data-retention": {"task": "tenants.tasks.purge_expired_practices", "schedule": 3600.0},
}
