"""The one settings module: production by default; secrets and DEBUG from the environment.

Each variable is read by a small helper that refuses a bad value loudly
(ImproperlyConfigured) instead of guessing.
"""

import hashlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str | None:
    """A DRF rate such as "20/min"; "off" turns the limit off."""
    value = env_str(name, default)
    if value.lower() == "off":
        return None
    number, _, period = value.partition("/")
    if not number.isdigit() or period[:1] not in {"s", "m", "h", "d"}:
        raise ImproperlyConfigured(f"{name} must be a rate such as 20/min, or off; not {value!r}")
    return value


# Production is the default: development mode only when asked for (`make run` asks, for the
# demo). The key signs sessions, unsubscribe and booking links: it comes only from the
# environment, never from the repository (`make run` makes one per checkout, var/secret_key).
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set, DEBUG or not (`make run` makes the demo's in var/secret_key)"
    )
# Keys that were once public (the development key an early version carried in this file): with
# one of them anybody can sign links to clients' emails and bookings. Only their SHA-256 here.
PUBLISHED_KEYS_SHA256 = {"4152fc9b97af09817ba0e9d1c2d2f6c16170b5db0d8f25c2b2d8c89e14a494a9"}
if hashlib.sha256(SECRET_KEY.encode()).hexdigest() in PUBLISHED_KEYS_SHA256:
    raise ImproperlyConfigured("This SECRET_KEY was published: make a new one and set that")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])

INSTALLED_APPS = [
    # Django's admin with the project's site (backoffice/site.py) as admin.site.
    "config.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "allauth",
    "allauth.account",
    # The same sign-in by code for programs: allauth's headless API, app clients only (a
    # session token in X-Session-Token), next to the pages (HEADLESS_ONLY is False).
    "allauth.headless",
    # The apps, bottom layer first (the layers are checked by `make lint`; see the README).
    "clinic",
    "bookings",
    "aftercare",
    "clinical",
    "consent",
    "money",
    "courses",
    "records",
    "waitlist",
    "sending",
    "privacy",
    "online",
    "workspace",
    "backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the request: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is a 413, a
    # NUL in the path, query string or a form is a 400 (the API's shape under /api/).
    "web.middleware.InputGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Answers carrying health data get Cache-Control: no-store, private.
    "web.caching.NoStoreHealthDataMiddleware",
    # Last: it answers a locked-out login on the admin and the staff pages.
    "axes.middleware.AxesMiddleware",
]

# The largest request body taken (form fields or JSON), Django's default of 2.5 MB written out:
# web/middleware.py answers a larger one with a 413. Waitress (Procfile) refuses bodies over
# 10 MB before buffering them.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Django's database sessions, their read written out (web/sessions.py).
SESSION_ENGINE = "web.sessions"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's own templates: allauth's sign-in pages in the site's dress
        # (templates/account/), found before allauth's own.
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "workspace.context.workspace",
                "online.pages.mine.site_brand",
            ],
        },
    },
]

# Database: SQLite file under var/ unless DATABASE_URL says otherwise.
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'clinic.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two bookings cannot both read the diary
    # as free and then both write: SQLite's stand-in for row locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
# The booking path's hot reads PREPAREd once per connection on PostgreSQL (clinic/prepared.py
# Prepared); 0 behind a pooler that shares sessions (PgBouncer in transaction mode).
DB_PREPARED_READS = env_bool("DB_PREPARED_READS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username + IP is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend (passwords, the superuser's permissions), its signed-in user
    # read with their memberships by one written-out statement.
    "access.UserBackend",
    "access.MembershipBackend",  # staff: the permissions of their roles (access/roles.py)
    "allauth.account.auth_backends.AuthenticationBackend",  # clients: a code sent by email
]
# Brute force: five wrong passwords for one username from one address lock that pair out for
# 15 minutes (staff pages, the admin and the API token endpoint alike). Spraying: twenty wrong
# passwords from one address, whatever the usernames, lock the address out for as long
# (clinic/addresses.py says why the address has a limit of its own).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_ADDRESS_FAILURE_LIMIT = env_int("AXES_ADDRESS_FAILURE_LIMIT", 20, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "clinic.addresses.AddressLockoutHandler"
AXES_RESET_ON_SUCCESS = True
# Reverse proxies in front of the app: the client's address is the one the outermost of them
# appended to X-Forwarded-For (clinic/addresses.py, also for the rate limits and the audit).
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "clinic.addresses.client_ip"
# Axes' "AXES: BEGIN" banner, printed by every process that starts Django (eight times in
# `make run`), only when LOG_LEVEL asks for detail (see LOGGING).
AXES_VERBOSE = bool(env_str("LOG_LEVEL"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"  # storage and server time; each clinic has its own zone for wall times
USE_I18N = True
USE_TZ = True


def photo_storage() -> dict:
    """STORAGES["photos"] from PHOTOS_STORAGE_BACKEND: "local" (files under PHOTOS_DIR) or
    "s3" (a bucket of S3 or an S3-compatible service, through django-storages; its
    PHOTOS_S3_* variables). Either backend refuses to give a photo a URL (records/storage.py)."""
    if env_str("PHOTOS_STORAGE") is not None:
        raise ImproperlyConfigured(
            "PHOTOS_STORAGE is no longer read: set PHOTOS_STORAGE_BACKEND to local or s3 "
            "(and PHOTOS_S3_BUCKET, PHOTOS_S3_ENDPOINT_URL... for s3)"
        )
    backend = env_str("PHOTOS_STORAGE_BACKEND", "local").strip().lower()
    if backend == "local":
        return {
            "BACKEND": "records.storage.LocalPhotoStorage",
            "OPTIONS": {"location": env_str("PHOTOS_DIR", str(VAR_DIR / "photos"))},
        }
    if backend != "s3":
        raise ImproperlyConfigured(
            f"PHOTOS_STORAGE_BACKEND must be local or s3, not {env_str('PHOTOS_STORAGE_BACKEND')!r}"
        )
    bucket = env_str("PHOTOS_S3_BUCKET")
    if bucket is None:
        raise ImproperlyConfigured("PHOTOS_STORAGE_BACKEND=s3 needs PHOTOS_S3_BUCKET")
    endpoint = env_str("PHOTOS_S3_ENDPOINT_URL")
    if endpoint is not None and not endpoint.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            f"PHOTOS_S3_ENDPOINT_URL must be an http(s) URL, not {endpoint!r}"
        )
    key, secret = env_str("PHOTOS_S3_ACCESS_KEY_ID"), env_str("PHOTOS_S3_SECRET_ACCESS_KEY")
    if (key is None) != (secret is None):
        raise ImproperlyConfigured(
            "Set both PHOTOS_S3_ACCESS_KEY_ID and PHOTOS_S3_SECRET_ACCESS_KEY, or neither "
            "(boto3 then finds its credentials itself: AWS_* variables, an instance role)"
        )
    style = env_str("PHOTOS_S3_ADDRESSING_STYLE", "auto")
    if style not in ("auto", "path", "virtual"):
        raise ImproperlyConfigured(
            f"PHOTOS_S3_ADDRESSING_STYLE must be auto, path or virtual, not {style!r}"
        )
    options = {
        "bucket_name": bucket,
        "endpoint_url": endpoint,
        "region_name": env_str("PHOTOS_S3_REGION"),
        "location": env_str("PHOTOS_S3_PREFIX", ""),
        "addressing_style": style,
        "timeout": env_int("PHOTOS_S3_TIMEOUT", 10, minimum=1),
    }
    if key is not None:
        options.update(access_key=key, secret_key=secret)
    return {"BACKEND": "records.s3.S3PhotoStorage", "OPTIONS": options}


STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# A folder with DejaVu Sans (DejaVuSans.ttf, -Bold, -Oblique) for the signed forms' PDFs, so
# they keep every letter of a name (consent/pdf.py); Debian's fonts-dejavu by default. A
# folder without those files: the PDF's built-in Latin-1 fonts.
CONSENT_PDF_FONT_DIR = env_str("CONSENT_PDF_FONT_DIR", "/usr/share/fonts/truetype/dejavu")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    # Signed consent and intake forms (PDFs, drawn signatures): health data, so never under
    # a public media URL; only the views that check scope and audit read them.
    "consent": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env_str("CONSENT_FILES_DIR", str(VAR_DIR / "consent-forms"))},
    },
    # Clinical photos (records/photos.py): never under a public path, served only through the
    # workspace's audited view; local files, or an S3-compatible bucket (photo_storage below).
    "photos": photo_storage(),
}
# The largest photo taken, in bytes (under DATA_UPLOAD_MAX_MEMORY_SIZE, which bounds the whole
# request), and the smallest and largest side in pixels.
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 2_400_000, minimum=10_000)
PHOTO_MIN_SIDE = env_int("PHOTO_MIN_SIDE", 200, minimum=1)
PHOTO_MAX_SIDE = env_int("PHOTO_MAX_SIDE", 8000, minimum=100)
WHITENOISE_USE_FINDERS = DEBUG

LOGIN_URL = "admin:login"

# Clients sign in with a one-time code sent to their email (django-allauth's login by code):
# no passwords, no sign-up form. Every client has a login (clinic/identity.py) whose address
# is an allauth EmailAddress row; allauth looks users up by those rows only, never by
# User.email, so a staff account (which has none) cannot be reached by a code, and the
# adapter refuses one anyway (online/accounts.py). Codes go out through the outbox.
ACCOUNT_ADAPTER = "online.accounts.ClientAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_USER_MODEL_EMAIL_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = env_int("SIGN_IN_CODE_MINUTES", 10, minimum=1) * 60
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
# Six digits, easy to type on a phone: 3 tries a code and 3 codes per address in 10 minutes
# give a guesser 9 in a million.
ACCOUNT_LOGIN_BY_CODE_FORMAT = {"numeric": True, "length": 6, "dashed": False}
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True  # "no bookings under this address", not silence
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = {
    # Codes asked for: per address (so nobody floods one inbox) and per IP.
    "request_login_code": env_str("THROTTLE_SIGN_IN_CODE", "10/m/ip,3/10m/key"),
    "login_failed": "10/m/ip,5/5m/key",
}
LOGIN_REDIRECT_URL = "/my/"
# allauth counts its per-IP limits by the same address as the rest of the site: the one our
# own proxies appended to X-Forwarded-For (PROXY_COUNT), the connection's otherwise.
ALLAUTH_TRUSTED_PROXY_COUNT = PROXY_COUNT
# Programs sign a client in by code through allauth's headless API (/_allauth/app/v1/...,
# only the endpoints of online/api/urls.py client_auth_patterns): the session token it hands
# out after the code is what the API accepts in X-Session-Token (online/api/client_token.py).
HEADLESS_ONLY = False
HEADLESS_CLIENTS = ("app",)

# A booking asked for by someone not signed in holds its time this long, for the owner of the
# address to confirm from the emailed link (diary/holds.py); the link works this long, and
# books the time even after the hold lapsed if it is still free.
HOLD_MINUTES = env_int("HOLD_MINUTES", 15, minimum=1)
HOLD_LINK_MINUTES = env_int("HOLD_LINK_MINUTES", 60, minimum=1)
HOLD_SWEEP_SECONDS = env_int("HOLD_SWEEP_SECONDS", 30, minimum=1)
# The waitlist (waitlist/, diary/waitlist.py): how long an offer holds the time, how many
# offers a client gets per clinic-local day and how many clients one freed slot is offered
# to at once, how often beat ends lapsed offers and runs rounds no worker ran, and how many
# weeks of newly added working hours are offered.
WAITLIST_OFFER_MINUTES = env_int("WAITLIST_OFFER_MINUTES", 30, minimum=1)
WAITLIST_OFFERS_PER_CLIENT_PER_DAY = env_int("WAITLIST_OFFERS_PER_CLIENT_PER_DAY", 3, minimum=1)
WAITLIST_OFFERS_PER_SLOT = env_int("WAITLIST_OFFERS_PER_SLOT", 3, minimum=1)
WAITLIST_SWEEP_SECONDS = env_int("WAITLIST_SWEEP_SECONDS", 60, minimum=1)
WAITLIST_NEW_HOURS_WEEKS = env_int("WAITLIST_NEW_HOURS_WEEKS", 4, minimum=1)
# "Offer me the first time after my wait": the entry runs this many weeks from that day.
WAITLIST_NOTICE_WEEKS = env_int("WAITLIST_NOTICE_WEEKS", 4, minimum=1)
# A booking's own link (in its emails: see, move, cancel) opens it until this many days after
# the appointment's end; after that the page offers signing in (bookings/models.py).
MANAGE_LINK_DAYS = env_int("MANAGE_LINK_DAYS", 30, minimum=1)
# Days after its first version that a treatment record locks: a change after that is an
# amendment, with a reason, audited (records/services.py).
RECORDS_LOCK_DAYS = env_int("RECORDS_LOCK_DAYS", 7, minimum=0)
# A refused or unfinished booking's answers (name, email, health answers) are kept for the
# visit this long after they were last saved, then forgotten (online/pages/forms.py).
DRAFT_MINUTES = env_int("DRAFT_MINUTES", 30, minimum=1)
# How often the sessions are swept for drafts older than that (privacy/retention.py).
DRAFT_SWEEP_SECONDS = env_int("DRAFT_SWEEP_SECONDS", 300, minimum=1)
# Each hold emails the address typed: at most this many an hour per address (diary/holds.py).
HOLDS_PER_ADDRESS_PER_HOUR = env_int("HOLDS_PER_ADDRESS_PER_HOUR", 5, minimum=1)
ACCOUNT_LOGOUT_REDIRECT_URL = "/"

# Card payments through Stripe (money/stripe_api.py, money/provider.py). Without a secret key
# nothing asks for a card: the clinic takes payment at the desk and staff record it.
# STRIPE_API_BASE points the official library elsewhere (tests: a fake on loopback).
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com")
# Where Stripe's hosted payment page lives: the booking form that sends the client there
# must be allowed to (Content-Security-Policy form-action, below).
STRIPE_CHECKOUT_ORIGIN = env_str("STRIPE_CHECKOUT_ORIGIN", "https://checkout.stripe.com")
if STRIPE_SECRET_KEY and not STRIPE_WEBHOOK_SECRET:
    raise ImproperlyConfigured("STRIPE_WEBHOOK_SECRET is needed with STRIPE_SECRET_KEY.")
# Seconds one call to Stripe may take before it counts as failed (and is retried later).
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 10, minimum=1)
# How long a booking waiting for its deposit keeps its time before it is released.
DEPOSIT_HOLD_MINUTES = env_int("DEPOSIT_HOLD_MINUTES", 30, minimum=1)
# A course bought online by card lapses unpaid after this (diary/course_payments.py).
COURSE_PAYMENT_MINUTES = env_int("COURSE_PAYMENT_MINUTES", 60, minimum=1)
# A no-show or late-cancellation fee is charged to the saved card this long after it falls
# due, so the desk can waive a fee marked in error before any card is charged.
FEE_CHARGE_DELAY_MINUTES = env_int("FEE_CHARGE_DELAY_MINUTES", 60, minimum=0)
# Tries of one planned call before it is marked failed (shown to staff), and how often beat
# sweeps for calls that are due again or whose worker died mid-call.
PROVIDER_CALL_ATTEMPTS = env_int("PROVIDER_CALL_ATTEMPTS", 8, minimum=1)
PROVIDER_SWEEP_SECONDS = env_int("PROVIDER_SWEEP_SECONDS", 30, minimum=1)

# Redis: Celery broker, and the cache behind the API's rate limits.
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHE_URL = env_str("CACHE_URL", REDIS_URL)
if CACHE_URL.startswith("locmem://"):  # the test suite's default (tests/dbselect.py)
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "clinic",
            # A Redis that does not answer costs a request half a second, not a timeout.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 30
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
if CELERY_BROKER_URL.startswith("filesystem://"):  # `make run` when no Redis answers
    # Web and worker must share one folder for the messages to meet.
    _broker_dir = BASE_DIR / env_str("CELERY_FILESYSTEM_BROKER_DIR", "var/celery")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
    }

# Email: SMTP when EMAIL_HOST is set, the console otherwise.
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# The longest wait for any one SMTP reply; the send task's time limits are reckoned from it.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Clinic <bookings@clinic.localhost>")
# Where links in emails point (the unsubscribe page).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# The site's own name, on what is not one clinic's: the sign-in emails and pages.
SITE_NAME = env_str("SITE_NAME", "Lumière")

# Phone numbers typed without a country code are read as dialled in this country (ISO 3166
# code); every number is stored in E.164 (clinic/phones.py).
PHONE_REGION = (env_str("PHONE_REGION", "GB") or "GB").upper()

# Text messages through Twilio (sending/sms.py). Without an account SID and token no SMS is
# planned (the demo); with them, TWILIO_FROM (a number) or TWILIO_MESSAGING_SERVICE_SID
# names the sender. TWILIO_API_BASE_URL replaces https://api.twilio.com (tests point it at
# a server on loopback). TWILIO_TIMEOUT bounds one request to Twilio, in seconds.
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM = env_str("TWILIO_FROM", "")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID", "")
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL", "")
TWILIO_TIMEOUT = env_int("TWILIO_TIMEOUT", 10, minimum=1)
# The longest SMS text a template may render to, in segments (GSM-7: 153 characters each
# once split, UCS-2: 67): longer ones are refused in the admin.
SMS_MAX_SEGMENTS = env_int("SMS_MAX_SEGMENTS", 3, minimum=1)
if bool(TWILIO_ACCOUNT_SID) != bool(TWILIO_AUTH_TOKEN):
    raise ImproperlyConfigured("Set both TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN, or neither.")
if TWILIO_ACCOUNT_SID and not (TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID):
    raise ImproperlyConfigured("With Twilio keys, set TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID.")

# Aftercare outbox (aftercare/outbox.py, sending/delivery.py; beat schedule in config/celery.py).
AFTERCARE_DISPATCH_SECONDS = env_int("AFTERCARE_DISPATCH_SECONDS", 5, minimum=1)
AFTERCARE_SWEEP_SECONDS = env_int("AFTERCARE_SWEEP_SECONDS", 60, minimum=1)
# A claim older than this that no worker has handed to the SMTP server is given back to the
# dispatcher (no attempt counted); one handed over with no outcome recorded is given back
# only once the send task's hard time limit has also passed (sending/delivery.py).
AFTERCARE_CLAIM_TIMEOUT = env_int("AFTERCARE_CLAIM_TIMEOUT", 600, minimum=1)
AFTERCARE_MAX_IN_FLIGHT = env_int("AFTERCARE_MAX_IN_FLIGHT", 200, minimum=1)
# Messages per send task, sent in turn over one SMTP connection.
AFTERCARE_BATCH_SIZE = env_int("AFTERCARE_BATCH_SIZE", 40, minimum=1)
# Send tasks that can run at once (worker processes, all workers together): a claim made while
# nothing is in flight is cut into at least this many batches, one made beside others in
# proportion (aftercare/outbox.py shares()), so with a slow SMTP server every process has a
# share and a steady drain keeps whole batches.
AFTERCARE_SENDERS = env_int("AFTERCARE_SENDERS", 2, minimum=1)
# A send task starts no new message after this many seconds and gives the rest back.
AFTERCARE_BATCH_SECONDS = env_int("AFTERCARE_BATCH_SECONDS", 15, minimum=1)
# The send task's time limits: the batch's seconds, then the send under way, which waits on
# at most 10 SMTP replies (greeting, EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT, DATA, the end
# of DATA, QUIT) of EMAIL_TIMEOUT each, then room to record its outcome. A soft limit that
# cut a send would make its message go twice.
# An SMS is one request to Twilio of at most TWILIO_TIMEOUT.
AFTERCARE_SEND_SOFT_TIME_LIMIT = (
    AFTERCARE_BATCH_SECONDS + max(10 * EMAIL_TIMEOUT, TWILIO_TIMEOUT) + 10
)
AFTERCARE_SEND_TIME_LIMIT = AFTERCARE_SEND_SOFT_TIME_LIMIT + 20
AFTERCARE_MAX_ATTEMPTS = env_int("AFTERCARE_MAX_ATTEMPTS", 5, minimum=1)
# The first retry waits this long, each next one twice as long (capped at 6 hours).
AFTERCARE_RETRY_SECONDS = env_int("AFTERCARE_RETRY_SECONDS", 60, minimum=1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # Staff programs: Authorization: Token <key>, for API_TOKEN_DAYS at most.
        "web.api.authentication.ExpiringTokenAuthentication",
        # A client's session token from signing in by code (X-Session-Token); never staff.
        "online.api.client_token.ClientSessionTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["web.api.renderers.JSONRenderer"],  # orjson, same bytes
    "DEFAULT_PARSER_CLASSES": ["web.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "web.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [],  # each view names its scope (web/api/throttles.py)
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

# A staff API token lasts this long from when it was issued (web/api/authentication.py); a
# password change ends it at once.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 30, minimum=1)

API_THROTTLE_RATES = {
    "booking": env_rate("THROTTLE_BOOKING", "30/min"),
    "token": env_rate("THROTTLE_TOKEN", "10/min"),
    "lookup": env_rate("THROTTLE_LOOKUP", "120/min"),
    "search": env_rate("THROTTLE_SEARCH", "300/min"),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Clinic booking and aftercare API",
    "DESCRIPTION": "Facial-massage booking with clinical waiting rules. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Served from our own static files: the docs page works with no outside network.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The 400 and 413 that web/middleware.py may answer on any operation, in the schema.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "web.api.schema.document_input_refusals",
    ],
}

# Logging. LOG_LEVEL unset: INFO, with the lines that repeat every few seconds when all is
# well left out, so `make run`'s console shows what happens (emails, requests, errors): beat's
# "Sending due task" and the worker's "received" / "succeeded" for every task (warnings and
# failures still show). LOG_LEVEL set (DEBUG, INFO, ...): that level everywhere, nothing left
# out; the worker tests set INFO to read the "succeeded" lines.
LOG_LEVEL = env_str("LOG_LEVEL", "").upper()
if LOG_LEVEL and LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}"
    )
# stripe: the library logs every request at INFO; our own lines say what each call did.
_ROUTINE_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace", "stripe")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL or "INFO"},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        **({} if LOG_LEVEL else {name: {"level": "WARNING"} for name in _ROUTINE_LOGGERS}),
    },
}
# A worker logs what its tasks print, the console email backend's emails included: at INFO,
# not Celery's default WARNING (an email sent is no fault).
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"

# Content-Security-Policy on every response: scripts, styles and fonts only from this site
# (inline styles allowed: the admin uses them, the pages carry the clinic's colours), images
# also from any https address (a clinic's logo may live on its own site), no plugins, no
# framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "https:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        # With card payments on, confirming a booking may redirect to Stripe's payment page.
        "form-action": ["'self'"] + ([STRIPE_CHECKOUT_ORIGIN] if STRIPE_SECRET_KEY else []),
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
