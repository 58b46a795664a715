"""Demo data: two practices, staff of every role, locations, providers, patients, and one
billing company with access to both. Safe to run again: existing demo data is kept."""

import datetime
import random
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone
from django_tenants.utils import tenant_context

from portal.models import PortalAccount
from practica.accounts.models import BillingCompany, BillingCompanyMember, Membership, User
from practica.accounts.roles import Role
from practica.accounts.services import grant_billing_company
from practica.core.links import practice_url, public_url
from practica.core.names import split_person_name
from practica.patients.models import Patient
from practica.scheduling.booking import book_appointment
from practica.scheduling.errors import SchedulingError
from practica.scheduling.models import Appointment, AppointmentType, Location, Provider, Room, WeeklyHours
from practica.scheduling.validators import with_check_digit
from tenants.demo_billing import seed_billing
from tenants.demo_eligibility import seed_eligibility
from tenants.demo_remittance import seed_remittances
from tenants.models import Plan, Practice
from tenants.services import provision_practice

DEMO_PASSWORD = "practica-demo-2026"  # noqa: S105  (published demo credentials)

PRACTICES = [
    (
        "Riverside Family Medicine",
        "riverside",
        "America/New_York",
        ["Main Street Clinic", "Eastside Office"],
    ),
    ("Lakeside Pediatrics", "lakeside", "America/Chicago", ["Lakeside Children's Center"]),
]
FIRST = [
    "Ana",
    "Ben",
    "Chloe",
    "Diego",
    "Emma",
    "Farah",
    "Grace",
    "Hiro",
    "Ivy",
    "Jamal",
    "Kira",
    "Liam",
]
LAST = [
    "Alvarez",
    "Brown",
    "Chen",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jones",
]


class Command(BaseCommand):
    help = "Seed the demo practices, staff, patients and billing company."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--clearinghouse",
            default="",
            help="a real-time eligibility clearinghouse (bin/run serves the fake one) the demo asks",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rng = random.Random(7)  # noqa: S311  (demo data, not security)
        plan = Plan.objects.filter(code="group").first()
        company, _ = BillingCompany.objects.get_or_create(slug="summit", defaults={"name": "Summit Billing"})
        company_user = self._user("biller@summit.example", "Sam Summit")
        BillingCompanyMember.objects.get_or_create(
            user=company_user, defaults={"company": company, "is_admin": True}
        )

        lines = []
        for name, slug, tz, locations in PRACTICES:
            practice = Practice.objects.filter(slug=slug).first()
            if practice is None:
                practice = provision_practice(name=name, slug=slug, plan=plan, time_zone=tz)
            for role in Role.values:
                user = self._user(
                    f"{role.replace('_', '')}@{slug}.example",
                    f"{role.replace('_', ' ').title()} {slug.title()}",
                )
                Membership.objects.get_or_create(user=user, practice=practice, defaults={"role": role})
            grant_billing_company(practice=practice, company=company, role=Role.BILLER, granted_by=None)
            with tenant_context(practice):
                self._practice_data(practice, slug, tz, locations, rng)
                self._scheduling_data(slug, rng)
                seed_billing(slug, name, rng)
                for problem in seed_remittances(slug, name, tz):
                    self.stderr.write(f"{name}: a demo claim could not be sent: {problem}")
                if options.get("clearinghouse"):
                    seed_eligibility(options["clearinghouse"])
            lines.append(f"  {name}: {practice_url(slug, '/')}")

        self.stdout.write(self.style.SUCCESS("Demo ready."))
        self.stdout.write(f"Public site: {public_url('/')}")
        self.stdout.write("Practices:\n" + "\n".join(lines))
        self.stdout.write(
            f"Staff logins (password {DEMO_PASSWORD}): owner@, manager@, frontdesk@, clinician@, biller@"
            " followed by riverside.example or lakeside.example"
        )
        self.stdout.write(
            "Billing company (both practices): biller@summit.example, same password, at "
            + public_url("/login/")
        )
        self.stdout.write(
            "Patient portal (same password): patient@riverside.example at "
            + practice_url("riverside", "/portal/")
            + ", patient@lakeside.example at "
            + practice_url("lakeside", "/portal/")
        )
        if settings.BASE_DOMAIN == "localhost":
            self.stdout.write("Subdomains of localhost need no DNS set-up in a browser.")

    def _scheduling_data(self, slug: str, rng: random.Random) -> None:
        """Appointment types, rooms, working hours, a portal login and a week of bookings."""
        if AppointmentType.objects.exists():
            return
        types = [
            AppointmentType.objects.create(name="New patient visit", duration_minutes=40, colour="#0b6e69"),
            AppointmentType.objects.create(
                name="Follow-up", duration_minutes=20, buffer_after_minutes=5, colour="#1f77b4"
            ),
            AppointmentType.objects.create(
                name="Annual physical", duration_minutes=30, needs_room=True, colour="#9467bd"
            ),
        ]
        today = timezone.localdate()
        for location in Location.objects.all():
            Room.objects.create(location=location, name="Exam 1")
            Room.objects.create(location=location, name="Exam 2")
            for provider in location.providers.all():
                for weekday in range(5):
                    for start, end, kind in (
                        (datetime.time(9), datetime.time(17), WeeklyHours.Kind.WORK),
                        (datetime.time(12), datetime.time(13), WeeklyHours.Kind.BREAK),
                    ):
                        WeeklyHours.objects.create(
                            provider=provider,
                            location=location,
                            weekday=weekday,
                            start_time=start,
                            end_time=end,
                            kind=kind,
                            effective_from=today - datetime.timedelta(days=30),
                        )
        patients = list(Patient.objects.order_by("last_name", "first_name"))
        portal_patient = patients[0]
        portal_patient.email = f"patient@{slug}.example"
        portal_patient.save(update_fields=["email"])
        account = PortalAccount(
            patient=portal_patient, email=portal_patient.email, email_verified_at=timezone.now()
        )
        account.set_password(DEMO_PASSWORD)
        account.save()
        main_site = Location.objects.order_by("name").first()
        assert main_site is not None
        zone = ZoneInfo(main_site.time_zone)
        providers = list(main_site.providers.all())
        for day_offset in range(1, 8):
            day = today + datetime.timedelta(days=day_offset)
            if day.weekday() >= 5:
                continue
            for hour in (9, 10, 14, 15):
                local_start = datetime.datetime.combine(day, datetime.time(hour), tzinfo=zone)
                try:
                    book_appointment(
                        patient=rng.choice(patients),
                        appointment_type=rng.choice(types),
                        provider=rng.choice(providers),
                        location=main_site,
                        start=local_start.astimezone(datetime.UTC),
                        source=Appointment.Source.STAFF,
                        override=True,
                    )
                except SchedulingError:
                    continue  # a random pick that collides is simply skipped

    def _user(self, email: str, full_name: str) -> User:
        user = User.objects.filter(email=email).first()
        return user or User.objects.create_user(email, DEMO_PASSWORD, full_name=full_name)

    def _practice_data(
        self, practice: Practice, slug: str, tz: str, locations: list[str], rng: random.Random
    ) -> None:
        if Location.objects.exists():
            return
        sites = [
            Location.objects.create(
                name=n,
                address_line1=f"{10 + i} Main St",
                city="Springfield",
                state="IL",
                postal_code="627041234",
                time_zone=tz,
            )
            for i, n in enumerate(locations)
        ]
        clinician = User.objects.get(email=f"clinician@{slug}.example")
        for index, (label, credentials) in enumerate(
            [(clinician.full_name, "MD"), ("Dr. Rosa Patel", "DO"), ("Nia Okafor", "NP")]
        ):
            name = split_person_name(label)
            provider = Provider.objects.create(
                user=clinician if index == 0 else None,
                display_name=label,
                first_name=name.first,
                last_name=name.last,
                credentials=credentials,
                npi=with_check_digit(f"1{rng.randrange(10**8):08d}"),
            )
            provider.locations.set(sites)
        for _ in range(25):
            Patient.objects.create(
                first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST),
                date_of_birth=datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(30000)),
                sex=rng.choice("FMX"),
                phone=f"+1555{rng.randrange(10**7):07d}",
            )
