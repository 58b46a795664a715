"""Test settings: the production settings with test-only values from the environment."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("BASE_DOMAIN", "practica.test")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
os.environ.setdefault("SECURE_COOKIES", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("STRIPE_SECRET_KEY", "sk_test_practica")
os.environ.setdefault("STRIPE_WEBHOOK_SECRET", "whsec_platform_test")
os.environ.setdefault("STRIPE_CONNECT_WEBHOOK_SECRET", "whsec_connect_test")
# Signups copy the template unless a test fills the pool of ready schemas itself (tests/test_pool.py).
os.environ.setdefault("PRACTICE_READY_SCHEMAS", "0")
# Tests roll back what they change, which no save signal reports: route without memory.
os.environ.setdefault("TENANT_ROUTING_CACHE_SECONDS", "0")
# Under pytest-xdist each worker has a test database of its own (pytest-django's `_gwN` suffix) and
# here a Redis database of its own, so caches, channel groups and queues of the two never meet.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and os.environ.get("REDIS_URL"):
    _base = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    os.environ["REDIS_URL"] = f"{_base}/{int(_worker[2:]) + 1}"

from practica.settings import *  # noqa: E402, F403  (after the worker's Redis database is chosen)

# Socket tests share their transaction with the consumers' database work, which then has to run on
# the test's own thread (see tests/messaging/conftest.py). The pool of database threads production
# uses is tested on its own (tests/messaging/test_socket_db_threads.py) and by the browser journeys.
SOCKET_DB_THREADS = 0

# Argon2 with the production cost takes 0.3 s a password; see tests/hashers.py.
PASSWORD_HASHERS = ["tests.hashers.QuickArgon2PasswordHasher", *PASSWORD_HASHERS[1:]]  # noqa: F405
