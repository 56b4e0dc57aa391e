"""E-mail through SMTP: the settings (PRIMO_SMTP_*), and one function that builds a message and one that sends it.

No SMTP host configured: nothing is e-mailed and every notification stays on its user's home page.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from flask import current_app

SECURITY = ("none", "starttls", "tls")


class MailError(RuntimeError):
    """The SMTP server could not be reached or refused the message (the queue tries again later)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    sender: str
    timeout: float = 20.0


def settings() -> SmtpSettings | None:
    """The SMTP settings of the app, or None when no host is configured."""
    config = current_app.config
    host = config.get("PRIMO_SMTP_HOST")
    if not host:
        return None
    security = config.get("PRIMO_SMTP_SECURITY") or "starttls"
    port = int(config.get("PRIMO_SMTP_PORT") or {"none": 25, "starttls": 587, "tls": 465}[security])
    return SmtpSettings(
        host=host,
        port=port,
        security=security,
        user=config.get("PRIMO_SMTP_USER") or None,
        password=config.get("PRIMO_SMTP_PASSWORD") or None,
        sender=config.get("PRIMO_MAIL_SENDER") or f"primo@{host}",
    )


def build(
    smtp: SmtpSettings, to: str, subject: str, body: str, language: str, reference: str, company: str
) -> EmailMessage:
    """A plain-text message; its Message-ID is derived from `reference`, so a resent copy is recognisably the same."""
    message = EmailMessage()
    message["From"] = formataddr((company, smtp.sender))
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(idstring=reference, domain=smtp.sender.rpartition("@")[2] or "primo")
    message["X-Primo-Notification"] = reference
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: out-of-office replies should not answer it
    message.set_content(body)
    message["Content-Language"] = language  # after set_content, which replaces every Content-* header
    return message


def send(smtp: SmtpSettings, message: EmailMessage) -> None:
    """Hand one message to the SMTP server; any failure is a MailError."""
    try:
        if smtp.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if smtp.user:
                client.login(smtp.user, smtp.password or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{smtp.host}:{smtp.port}: {exc}") from exc
