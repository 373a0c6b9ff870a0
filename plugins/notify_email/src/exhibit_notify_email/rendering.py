"""Building the email: plain text and HTML from the plugin's templates, in one MIME message.

The HTML is the same text, escaped, with the upload link as the only hyperlink. It loads
nothing: no images, no remote styles, no tracking pixel. The frame (heading and footer)
is in the message's own languages, in its order: Welsh then English around a message in
both, English around an English receipt.
"""

import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from exhibit.plugins import OutboundMessage
from exhibit_notify_email.config import Config

ENGLISH = "en"

TEMPLATES = Path(__file__).parent / "templates"
WORDS = {
    "en": {
        "heading": "A message from {force}",
        "footer": "This message was sent by {force} through Exhibit. Do not reply with "
        "photos or videos: use the link in this message.",
    },
    "cy": {
        "heading": "Neges gan {force}",
        "footer": "Anfonwyd y neges hon gan {force} drwy Exhibit. Peidiwch ag ateb gyda "
        "lluniau neu fideos: defnyddiwch y ddolen yn y neges hon.",
    },
}
# HTML templates are escaped; the plain-text one is not (it is no markup).
_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=StrictUndefined,
)


@dataclass(frozen=True)
class Part:
    """A run of text in a paragraph; ``link`` when it is the upload link."""

    text: str
    link: bool = False


def paragraphs(body: str, link: str | None) -> list[list[Part]]:
    """The body's lines as paragraphs, with the link (only) marked as a link."""
    found = []
    for line in body.split("\n"):
        if not line.strip():
            continue
        if link and link in line:
            pieces = re.split(f"({re.escape(link)})", line)
            found.append([Part(p, link=p == link) for p in pieces if p])
        else:
            found.append([Part(line)])
    return found


def frame_languages(message: OutboundMessage) -> list[str]:
    """The message's languages that the frame has words for, in order (English if none)."""
    return [lang for lang in message.languages if lang in WORDS] or [ENGLISH]


def frame(languages: list[str], force_name: str) -> dict[str, list[str]]:
    """The frame's heading and footer, one entry per language."""
    return {
        part: [WORDS[lang][part].format(force=force_name) for lang in languages]
        for part in ("heading", "footer")
    }


def render(message: OutboundMessage, force_name: str) -> tuple[str, str]:
    """The text and HTML bodies of ``message``."""
    languages = frame_languages(message)
    words = frame(languages, force_name)
    text = _environment.get_template("notify_email/message.txt").render(
        words=words, body=message.body
    )
    html = _environment.get_template("notify_email/message.html").render(
        lang=languages[0],
        subject=message.subject,
        words=words,
        paragraphs=paragraphs(message.body, message.link),
    )
    return text, html


def build_email(message: OutboundMessage, config: Config) -> EmailMessage:
    """The multipart/alternative email for ``message``, From and Reply-To as configured."""
    force_name = message.sender_name
    text, html = render(message, force_name)
    languages = frame_languages(message)
    email = EmailMessage(policy=SMTP)
    email["From"] = formataddr((config.from_name or force_name, config.from_address))
    email["To"] = message.recipient
    email["Subject"] = message.subject or " / ".join(frame(languages, force_name)["heading"])
    if config.reply_to:
        email["Reply-To"] = config.reply_to
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain=config.from_address.rsplit("@", 1)[1])
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    # After the body: set_content clears Content-*.
    email["Content-Language"] = ", ".join(dict.fromkeys(message.languages or (ENGLISH,)))
    return email
