import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login

from practica.accounts import password_reset, services, two_factor
from practica.accounts.decorators import capability_required, staff_required
from practica.accounts.errors import AccessError
from practica.accounts.forms import (
    BillingCompanyGrantForm,
    ExistingUserJoinForm,
    InviteForm,
    JoinForm,
    LoginForm,
    ResetForm,
    ResetRequestForm,
    RevokeAccessForm,
    RoleForm,
    SecurityForm,
    TokenForm,
)
from practica.accounts.models import BillingCompanyAccess, BillingCompanyMember, Invitation, Membership, User
from practica.accounts.roles import Capability, Role, role_can
from practica.accounts.selectors import client_practices, practices_for_user, role_in_practice, staff_of
from practica.accounts.sessions import (
    PUBLIC_SITE,
    confirmed_device_of,
    end_session,
    session_practice,
    start_session,
)
from practica.accounts.tokens import (
    InvitationLinkError,
    make_handoff_token,
    read_invitation_token,
    use_handoff_token,
)
from practica.core.links import practice_url, public_url
from practica.core.net import client_ip
from practica.core.tenancy import current_schema
from practica.core.view_access import open_while_suspended, writable_while_read_only

PENDING_2FA_KEY = "pending_two_factor_user"


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _home_after_login(request: HttpRequest) -> str:
    return "/" if getattr(request, "practice", None) else "/practices/"


@open_while_suspended
@writable_while_read_only
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request, request.POST or None)
    practice = getattr(request, "practice", None)
    if request.method == "POST" and form.is_valid():
        user = form.user
        assert user is not None
        if practice is not None and role_in_practice(user, practice) is None:
            # Same words as a wrong password: the page must not tell who works where.
            form.add_error(None, LoginForm.error_message)
        elif any(devices_for_user(user, confirmed=True)):
            request.session[PENDING_2FA_KEY] = user.pk
            request.session["login_next"] = _next_url(request, _home_after_login(request))
            return redirect("login_verify")
        else:
            start_session(request, user)
            return redirect(_next_url(request, _home_after_login(request)))
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


@open_while_suspended
@writable_while_read_only
def login_verify(request: HttpRequest) -> HttpResponse:
    user_id = request.session.get(PENDING_2FA_KEY)
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        return redirect("login")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"])
        if device is None:
            form.add_error(
                "token",
                "That code is not valid. Check your authenticator app's clock and try again.",
            )
        else:
            target = request.session.get("login_next") or _home_after_login(request)
            start_session(request, user, device)
            return redirect(target)
    return render(request, "accounts/login_verify.html", {"form": form})


@open_while_suspended
@writable_while_read_only
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    end_session(request)
    return redirect("login")


@open_while_suspended
@writable_while_read_only
def password_forgotten(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link; the answer is the same whether or not the address has a login."""
    form = ResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_reset.request_password_reset(form.cleaned_data["email"], client_ip(request))
        except AccessError as refused:
            form.add_error(None, str(refused))
        else:
            context = {
                "email": form.cleaned_data["email"],
                "minutes": password_reset.RESET_LINK_SECONDS // 60,
            }
            return render(request, "accounts/password_reset_sent.html", context)
    return render(
        request, "accounts/password_forgotten.html", {"form": form}, status=400 if form.errors else 200
    )


@open_while_suspended
@writable_while_read_only
def password_reset_confirm(request: HttpRequest, user_id: str, token: str) -> HttpResponse:
    user = password_reset.user_for_reset(user_id, token)
    if user is None:
        return render(request, "accounts/password_reset_invalid.html", status=400)
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_reset.reset_password(user, token, form.cleaned_data["password"])
        except AccessError as refused:
            form.add_error("password", str(refused))
        else:
            if request.user.is_authenticated:
                end_session(request)  # whoever was signed in here signs in again with the new password
            messages.success(
                request, "Your password is changed and you are signed out everywhere. Please sign in."
            )
            return redirect("login")
    return render(
        request, "accounts/password_reset_confirm.html", {"form": form}, status=400 if form.errors else 200
    )


def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password; every other session of the login ends."""
    if not request.user.is_authenticated:
        return redirect("login")
    user: User = request.user
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.set_password(user=user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, user)  # this session stays; the others end
        messages.success(request, "Your password is changed. You are signed out everywhere else.")
        return redirect(_home_after_login(request))
    return render(request, "accounts/password_change.html", {"form": form})


def _svg_qr(data: str) -> str:
    buffer = io.BytesIO()
    qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    return buffer.getvalue().decode()


def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol the first authenticator; once the login has one, a session that is not verified yet
    proves it with a code from that one instead (it cannot add another)."""
    if not request.user.is_authenticated:
        return redirect("login")
    user: User = request.user
    form = TokenForm(request.POST or None)
    if two_factor.has_confirmed_device(user):
        if user.is_verified():  # type: ignore[attr-defined]
            return render(request, "accounts/two_factor_done.html")
        if request.method == "POST" and form.is_valid():
            try:
                device = two_factor.prove_existing_device(user=user, token=form.cleaned_data["token"])
            except AccessError as error:
                form.add_error("token", str(error))
            else:
                otp_login(request, device)
                return redirect(_home_after_login(request))
        return render(request, "accounts/two_factor_prove.html", {"form": form})
    try:
        device = two_factor.pending_device(user)
        if request.method == "POST" and form.is_valid():
            token = form.cleaned_data["token"]
            confirmed = two_factor.confirm_first_device(user=user, device=device, token=token)
            if confirmed is None:
                form.add_error("token", two_factor.WRONG_CODE)
            else:
                start_session(request, user, confirmed)
                messages.success(request, "Two-factor sign-in is on.")
                return redirect(_home_after_login(request))
    except AccessError as error:
        form.add_error("token", str(error))
        if two_factor.has_confirmed_device(user):  # another session was quicker
            return render(request, "accounts/two_factor_prove.html", {"form": TokenForm()})
    return render(
        request,
        "accounts/two_factor_setup.html",
        {"form": form, "qr_svg": _svg_qr(device.config_url)},
    )


@open_while_suspended
@writable_while_read_only
def handoff(request: HttpRequest) -> HttpResponse:
    """Arrive at a practice subdomain already signed in (after signup or a practice switch)."""
    data = use_handoff_token(request.GET.get("t", ""))
    practice = getattr(request, "practice", None)
    if data is None or practice is None:
        messages.error(request, "That sign-in link has expired. Please sign in.")
        return redirect("login")
    user = User.objects.filter(pk=data.user_id, is_active=True).first()
    if user is None or role_in_practice(user, practice) is None:
        raise Http404("No such page.")
    # The public session's second factor carries over only if it is still a confirmed device of theirs.
    device = confirmed_device_of(user, data.otp_device) if data.otp_device else None
    start_session(request, user, device)
    return redirect("/")


def handoff_url(request: HttpRequest, slug: str, schema_name: str) -> str:
    """A one-time link that signs the person in at a practice: only from a session of the public
    site (a practice's session stays at its practice)."""
    if session_practice(request) != PUBLIC_SITE:
        raise Http404("No such page.")
    device = getattr(request.user, "otp_device", None)
    assert request.user.pk is not None
    token = make_handoff_token(request.user.pk, schema_name, device.persistent_id if device else None)
    return practice_url(slug, f"/handoff/?t={token}")


def go_to_practice(request: HttpRequest, slug: str) -> HttpResponse:
    """Switch to another practice the person can enter, without signing in again. Hand-offs start
    on the public site: from inside a practice, the switch goes through it (where the person may
    have to sign in first)."""
    if getattr(request, "practice", None) is not None:
        return redirect(public_url(f"/go/{slug}/"))
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    practice = practices_for_user(request.user).filter(slug=slug).first()
    if practice is None:
        raise Http404("No such practice.")
    return redirect(handoff_url(request, practice.slug, practice.schema_name))


def my_practices(request: HttpRequest) -> HttpResponse:
    """The public site's home for a signed-in person: their practices, or their billing clients."""
    if not request.user.is_authenticated:
        return redirect("login")
    company_member = (
        BillingCompanyMember.objects.filter(user=request.user, is_active=True)
        .select_related("company")
        .first()
    )
    if company_member is not None:
        search = request.GET.get("q", "").strip()[:80]
        page = Paginator(client_practices(company_member.company_id, search), 25).get_page(
            request.GET.get("page")
        )
        return render(
            request,
            "accounts/billing_clients.html",
            {"company": company_member.company, "page": page, "q": search},
        )
    practices = practices_for_user(request.user)
    return render(request, "accounts/my_practices.html", {"practices": practices})


# ---- practice staff management ------------------------------------------------------------


@capability_required(Capability.INVITE_STAFF)
def staff_list(request: HttpRequest) -> HttpResponse:
    practice = request.practice  # type: ignore[attr-defined]
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invite_staff(
                practice=practice,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                invited_by=request.user,  # type: ignore[arg-type]
            )
        except AccessError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("staff_list")
    context = {
        "members": staff_of(practice),
        "invitations": Invitation.objects.filter(practice=practice, accepted_at=None, revoked_at=None),
        "form": form,
        "roles": Role.choices,
        "can_manage": role_can(request.role, Capability.MANAGE_STAFF),  # type: ignore[attr-defined]
    }
    return render(request, "accounts/staff_list.html", context)


@require_POST
@capability_required(Capability.MANAGE_STAFF)
def staff_update(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = get_object_or_404(Membership, pk=membership_id, practice=request.practice)  # type: ignore[attr-defined]
    try:
        action = request.POST.get("action")
        if action == "role":
            form = RoleForm(request.POST)
            if not form.is_valid():
                raise AccessError("Choose one of the listed roles.")
            services.change_role(membership=membership, role=form.cleaned_data["role"])
        elif action in ("deactivate", "reactivate"):
            services.set_member_active(
                membership=membership,
                active=action == "reactivate",
                acting_user=request.user,  # type: ignore[arg-type]
            )
        else:
            raise AccessError("Unknown action.")
    except AccessError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Saved.")
    return redirect("staff_list")


def join(request: HttpRequest, token: str) -> HttpResponse:
    """Accept a staff invitation (signed link, expires after a week).

    Someone new chooses a name and password; someone who already has a Practica login (at
    another practice, say) proves it with their password here, since they cannot sign in to
    this practice before they belong to it.
    """
    practice = getattr(request, "practice", None)
    try:
        invitation_id = read_invitation_token(token)
    except InvitationLinkError as error:
        return render(request, "accounts/join_invalid.html", {"reason": str(error)}, status=410)
    invitation = Invitation.objects.filter(pk=invitation_id, practice=practice).first() if practice else None
    if invitation is None or not invitation.is_open:
        reason = "This invitation was already used or was withdrawn."
        return render(request, "accounts/join_invalid.html", {"reason": reason}, status=410)
    existing = User.objects.filter(email=invitation.email, is_active=True).first()
    form: JoinForm | ExistingUserJoinForm = (
        ExistingUserJoinForm(request, invitation.email, request.POST or None)
        if existing
        else JoinForm(invitation.email, request.POST or None)
    )
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.accept_invitation(
                invitation=invitation,
                user=existing,
                full_name=form.cleaned_data.get("full_name", ""),
                password=form.cleaned_data.get("password", ""),
            )
        except AccessError as error:
            form.add_error(None, str(error))
        else:
            if any(devices_for_user(membership.user, confirmed=True)):
                # Their second factor is still owed: the sign-in page asks for it.
                messages.success(request, f"You joined {invitation.practice.name}. Please sign in.")
                return redirect("login")
            start_session(request, membership.user)
            return redirect("/")
    return render(
        request,
        "accounts/join.html",
        {"invitation": invitation, "form": form, "existing": existing},
    )


@capability_required(Capability.MANAGE_PRACTICE)
def security_settings(request: HttpRequest) -> HttpResponse:
    practice = request.practice  # type: ignore[attr-defined]
    security_form = SecurityForm(initial={"require_staff_two_factor": practice.require_staff_two_factor})
    grant_form = BillingCompanyGrantForm()
    if request.method == "POST" and request.POST.get("action") == "security":
        security_form = SecurityForm(request.POST)
        if security_form.is_valid():
            services.set_staff_two_factor_requirement(
                practice=practice, required=security_form.cleaned_data["require_staff_two_factor"]
            )
            messages.success(request, "Security settings saved.")
            return redirect("security_settings")
    elif request.method == "POST" and request.POST.get("action") == "grant":
        grant_form = BillingCompanyGrantForm(request.POST)
        if grant_form.is_valid():
            try:
                services.grant_billing_company(
                    practice=practice,
                    company=grant_form.cleaned_data["company"],
                    role=grant_form.cleaned_data["role"],
                    granted_by=request.user,  # type: ignore[arg-type]
                )
            except AccessError as error:
                grant_form.add_error(None, str(error))
            else:
                messages.success(request, "Access granted.")
                return redirect("security_settings")
    elif request.method == "POST" and request.POST.get("action") == "revoke":
        revoke_form = RevokeAccessForm(request.POST)
        if not revoke_form.is_valid():
            raise Http404("No such grant.")
        access = get_object_or_404(
            BillingCompanyAccess,
            pk=revoke_form.cleaned_data["access_id"],
            practice=practice,
            revoked_at=None,
        )
        services.revoke_billing_company(practice=practice, company=access.company)
        messages.success(request, f"{access.company.name} no longer has access.")
        return redirect("security_settings")
    grants = BillingCompanyAccess.objects.filter(practice=practice, revoked_at=None).select_related("company")
    context = {"security_form": security_form, "grant_form": grant_form, "grants": grants}
    return render(request, "accounts/security_settings.html", context)


@staff_required
def switch_practice(request: HttpRequest) -> HttpResponse:
    """From inside a practice: the list of the person's other practices."""
    # A billing company may have hundreds of clients: searchable and paginated, like /practices/.
    search = request.GET.get("q", "").strip()[:80]
    practices = practices_for_user(request.user).exclude(schema_name=current_schema())  # type: ignore[arg-type]
    if search:
        practices = practices.filter(Q(name__icontains=search) | Q(slug__icontains=search))
    page = Paginator(practices, 25).get_page(request.GET.get("page"))
    return render(request, "accounts/switch.html", {"page": page, "q": search})
