"""Settings of the daphne server the browser tests start: the test settings, plus the folder of the
file email backend (which the production settings do not read from the environment), so that the
test process can read the emails the server sends, and the fake Stripe's hosted pages (which stand
in for checkout.stripe.com) among the places forms may lead to."""

import os

from tests.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["PRACTICA_E2E_MAIL_DIR"]

CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] = [  # noqa: F405
    *CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"],  # noqa: F405
    os.environ["STRIPE_API_BASE"],
]

# A real server, committed data: socket work on the pool of database threads, as in production.
SOCKET_DB_THREADS = int(os.environ.get("SOCKET_DB_THREADS", "4"))
