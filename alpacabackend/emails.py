"""Every email to a trader: rendered from templates (subject, text and HTML) and sent through
Django's email backend (console by default, SMTP when EMAIL_HOST is set).

A template set is `<name>_subject.txt`, `<name>.txt` and `<name>.html`; the text templates
turn autoescaping off (a name like O'Brien stays O'Brien in plain text).

A mail server that fails is logged, never raised: the request that asked for the email has
done its work (and must not tell a stranger whether the address exists).
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def email_send(*, template: str, to: str, context: dict) -> bool:
    """Renders the template set `template` (e.g. `account/email/password_reset`) and sends
    it to `to`; False (logged) when the mail server failed."""
    context = {"site_name": settings.SITE_NAME, "frontend_url": settings.FRONTEND_URL, **context}
    base = template
    subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"{base}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
    )
    message.attach_alternative(render_to_string(f"{base}.html", context), "text/html")
    try:
        message.send()
    except Exception:
        logger.exception("Could not send the %s email", template)
        return False
    return True
