"""Staff answering a flagged text. Free-form texting is out of scope: staff pick one of a few
approved templates (templates/sms/<language>/staff_*.txt), so every word a patient receives was
reviewed once, carries no PHI, and is traceable by template version."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from clinicbot.clock import now
from core.actors import Actor
from core.services import audit_record

from . import services
from .models import Message

# template name -> what staff see in the picker
STAFF_TEMPLATES = {
    "staff_call_us": "Please call the clinic",
    "staff_will_call": "We will call you today",
    "staff_still_on_list": "You are still on the waitlist",
}


def staff_reply_send(*, message_id: int, template: str, actor: Actor) -> Message:
    """Answer one flagged inbound text with an approved template and mark it handled. First writer
    wins: two staff answering the same text at once send one reply."""
    if template not in STAFF_TEMPLATES:
        raise ValidationError({"template": "Choose one of the approved replies."})
    with transaction.atomic():
        n = (
            Message.objects.filter(pk=message_id, direction=Message.Direction.INBOUND, attention_cleared_at__isnull=True)
            .exclude(needs_attention="")
            .update(attention_cleared_at=now())
        )
        if n != 1:
            raise ValidationError("This text was already handled (or does not need an answer).")
        inbound = Message.objects.select_related("phone", "patient").get(pk=message_id)
        phone = inbound.phone
        if inbound.patient is not None:
            language = inbound.patient.language
        else:
            languages = set(phone.patients.values_list("language", flat=True)[:5])
            language = languages.pop() if len(languages) == 1 else "en"
        reply = services.message_enqueue(phone=phone, template=template, language=language, patient=inbound.patient)
        if reply is None:
            # rolls back the "handled" mark too: the text still needs a person (call them)
            raise ValidationError("This number cannot be texted (opted out or cannot receive texts): call instead.")
        audit_record(actor=actor, action="message.staff_reply", obj=inbound,
                     after={"template": template, "reply_message": reply.pk}, note=STAFF_TEMPLATES[template])
        return reply
