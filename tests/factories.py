import datetime

import factory
from django.contrib.auth.hashers import make_password

from practica.accounts.models import BillingCompany, BillingCompanyMember, Membership, User
from practica.accounts.roles import Role
from practica.patients.models import Patient
from practica.scheduling.models import Location, Provider
from practica.scheduling.validators import with_check_digit

PASSWORD = "correct horse battery staple"
# Hashed once (argon2 is deliberately slow); every factory user shares it.
_PASSWORD_HASH = make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = _PASSWORD_HASH


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.FRONT_DESK


class BillingCompanyFactory(factory.django.DjangoModelFactory[BillingCompany]):
    class Meta:
        model = BillingCompany

    name = factory.Sequence(lambda n: f"Billing Co {n}")
    slug = factory.Sequence(lambda n: f"billing-co-{n}")


class BillingCompanyMemberFactory(factory.django.DjangoModelFactory[BillingCompanyMember]):
    class Meta:
        model = BillingCompanyMember

    company = factory.SubFactory(BillingCompanyFactory)
    user = factory.SubFactory(UserFactory)


class PatientFactory(factory.django.DjangoModelFactory[Patient]):
    class Meta:
        model = Patient

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = datetime.date(1980, 5, 17)


class LocationFactory(factory.django.DjangoModelFactory[Location]):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Clinic {n}")


class ProviderFactory(factory.django.DjangoModelFactory[Provider]):
    class Meta:
        model = Provider

    display_name = factory.Faker("name")
    npi = factory.Sequence(lambda n: with_check_digit(f"1{n:08d}"))
