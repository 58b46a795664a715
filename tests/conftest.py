"""One database, two practices (A and B) and the template schema, created once per session.

Each test runs inside a transaction that is rolled back, including any schema it creates."""

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django_tenants.utils import schema_context, tenant_context
from pytest_django import DjangoDbBlocker

from practica.accounts.models import Membership, User
from practica.accounts.roles import Role
from practica.accounts.sessions import SESSION_PRACTICE_KEY
from practica.core.routing import forget_routes
from practica.core.tenancy import use_public_schema
from tenants.models import Plan, Practice
from tenants.provisioning import ensure_template_schema
from tenants.services import ensure_public_site, provision_practice
from tests.billing.fake_stripe import FakeStripe, start_fake_stripe
from tests.factories import UserFactory

PUBLIC_HOST = "practica.test"

T = TypeVar("T")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first. bin/test's workers take whole files in this order (pytest-xdist's
    loadfile, not reordered): a minute-long file started last would leave the other worker idle.
    Files with slow or browser tests come first, then the others by their number of tests."""

    def path(item: pytest.Item) -> str:
        return item.nodeid.split("::")[0]

    tests_in = Counter(path(item) for item in items)
    heavy = {
        path(item) for item in items if item.get_closest_marker("slow") or item.get_closest_marker("e2e")
    }
    # A stable sort: each file's tests keep their order and stay together.
    items.sort(key=lambda item: (path(item) not in heavy, -tests_in[path(item)], path(item)))


@pytest.fixture(scope="session")
def _fake_stripe_server() -> Iterator[FakeStripe]:
    """One fake Stripe per test process, for every folder that pays (billing, statements, ...):
    a second one would point the settings at itself while the first one's tests still run."""
    fake, server = start_fake_stripe()
    previous = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = fake.base_url
    yield fake
    settings.STRIPE_API_BASE = previous
    server.shutdown()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> None:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        ensure_public_site()
        ensure_template_schema()
        plan = Plan.objects.get(code="group")
        for name, slug in (("Alpha Clinic", "alpha"), ("Beta Health", "beta")):
            if not Practice.objects.filter(slug=slug).exists():
                provision_practice(name=name, slug=slug, plan=plan)
        use_public_schema()


@pytest.fixture
def practice_a(db: None) -> Practice:
    return Practice.objects.get(slug="alpha")


@pytest.fixture
def practice_b(db: None) -> Practice:
    return Practice.objects.get(slug="beta")


@pytest.fixture(autouse=True)
def _public_schema_between_tests() -> Iterator[None]:
    use_public_schema()
    # A test's practice rows roll back with its transaction, but the routing memory does not:
    # without this, the next test's request could see a practice as an earlier test left it.
    forget_routes()
    yield
    use_public_schema()


def planted_once_per_module(plant: Callable[[], T]) -> Any:
    """A module-scoped fixture (named by the variable it is assigned to) whose value is `plant()`.

    For hundreds of parametrized tests that all need the same rows: `plant()` runs once, in a
    transaction opened around the module and rolled back after its last test, so no later module
    sees the rows. Each test's own transaction (pytest-django's `db`) is a savepoint inside it,
    rolled back after the test, so every test starts from the rows as planted whatever an earlier
    one changed. (Tests of the module that do not ask for the fixture but run after one that does
    see the rows too.) Not for modules with `transactional_db` tests: their flush would empty the
    tables under the other tests.
    """

    @pytest.fixture(scope="module")
    def planted(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[T]:
        with django_db_blocker.unblock(), transaction.atomic():
            rows = plant()
            use_public_schema()
            # During the tests, database access is blocked or not exactly as it is without this.
            with django_db_blocker.block():
                yield rows
            transaction.set_rollback(True)

    return planted


def host_of(practice: Practice) -> str:
    return f"{practice.slug}.practica.test"


def staff(practice: Practice, role: str = Role.OWNER, **user_fields: str) -> User:
    user = UserFactory.create(**user_fields)
    Membership.objects.create(user=user, practice=practice, role=role)
    return user


def signed_in_client(user: User, practice: Practice | None) -> Client:
    """A client on the practice's host (or the public site), signed in as `user`."""
    client = Client(HTTP_HOST=host_of(practice) if practice else PUBLIC_HOST)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[SESSION_PRACTICE_KEY] = practice.schema_name if practice else "public"
    session.save()
    return client


@pytest.fixture
def client_for() -> Callable[..., Client]:
    return signed_in_client


@pytest.fixture
def in_practice() -> Callable[[Practice], object]:
    return tenant_context


@pytest.fixture
def in_public() -> Callable[[], object]:
    return lambda: schema_context("public")
