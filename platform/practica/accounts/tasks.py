from celery import Task, shared_task
from django.core.mail import send_mail
from django.template.loader import render_to_string

from practica.accounts.models import Invitation
from practica.accounts.tokens import make_invitation_token
from practica.core.links import practice_url


@shared_task(bind=True, max_retries=5, default_retry_delay=30, acks_late=True)
def send_invitation_email(self: Task, invitation_id: int) -> None:
    invitation = Invitation.objects.select_related("practice", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or not invitation.is_open:
        return
    link = practice_url(invitation.practice.slug, f"/staff/join/{make_invitation_token(invitation.pk)}/")
    context = {"invitation": invitation, "link": link}
    try:
        send_mail(
            subject=f"You're invited to join {invitation.practice.name} on Practica",
            message=render_to_string("accounts/email/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except OSError as exc:  # SMTP unreachable: try again later, the invitation row is kept
        raise self.retry(exc=exc) from exc
