"""Writes of the messaging app: numbers and consent, the outbox, inbound texts, status callbacks.

Every state change is a conditional UPDATE (first writer wins) backed by a constraint; side
effects leave through `enqueue_after_commit`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import types

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Subquery

from clinicbot.clock import now
from clinicbot.sending_window import default_window
from clinicbot.tasks import enqueue_after_commit
from core.actors import Actor
from core.prepared import Prepared, PreparedInsert, distinct, one_of, spread
from core.services import audit_record, snapshot

from . import backends
from .grammar import Intent, parse_reply
from .models import (
    STATUS_RANK,
    TERMINAL_FAILURES,
    ConsentEvent,
    Message,
    PhoneNumber,
    SenderHealth,
    StatusEvent,
)
from .phones import mask, normalize_phone
from .seam import events
from .selectors import needs_attention_now
from .templating import render_sms

log = logging.getLogger(__name__)

SEND_TASK = "messaging.tasks.message_send_task"
PROCESS_TASK = "messaging.tasks.inbound_process_task"
DELIVER_TASK = "messaging.tasks.dev_deliver_task"
MAX_SEND_ATTEMPTS = 5
# seconds to wait before attempt n+1 after a transient failure of attempt n (then it fails for good)
RETRY_DELAYS = (10, 30, 90, 270)
# how long a held message waits before it looks again while the sender is paused
PAUSED_RECHECK = dt.timedelta(minutes=1)
DISCLOSURE_VERSION = "2026-11"
# Replies that report a state change the patient caused (their booking, their opt-out): the first
# one is never dropped by the auto-reply limit; repeats within LOOP_GUARD are (an auto-responder loop).
ESSENTIAL_REPLIES = frozenset({"confirmed", "opt_out_confirm"})
# The retention text (core.services.retention_idle_entries) asks idle numbers to reply YES to stay
# on the waitlist, and removes their entries if no YES comes in this long.
STAY_ON_LIST_TEMPLATE = "stay_on_list"
STAY_ON_LIST_WAIT = dt.timedelta(days=7)  # the text promises removal "in 7 days"
LOOP_GUARD = dt.timedelta(hours=1)
# tries at understanding and acting on an inbound text before it is set aside for a person
INBOUND_MAX_ATTEMPTS = 3
# Outreach valid only until the sending hours close is held for the next opening instead when less
# than this is left: a long code sends about one segment a second, so a text handed over seconds
# before closing would mostly expire in Twilio's queue (Twilio's own minimum is 1 s).
WINDOW_MIN_VALIDITY = dt.timedelta(seconds=5)
# Twilio's error for a text whose validity period ran out in its queue
VALIDITY_EXPIRED = "30036"
# A send task can sit in a long queue for minutes under load. The sweeper re-enqueues a text it
# suspects lost (a crashed Redis-broker cluster) once after 30 s, then at most this often, so a
# backlog is not multiplied by its own copies (docs/PERFORMANCE.md, section 5).
REQUEUE_EVERY = dt.timedelta(minutes=5)


# --- numbers and consent -------------------------------------------------------------------------


def phone_get_or_create(*, raw: str) -> PhoneNumber:
    e164 = normalize_phone(raw)
    phone, _ = PhoneNumber.objects.get_or_create(e164=e164)
    return phone


def consent_record(
    *,
    phone: PhoneNumber,
    source: str,
    actor: Actor,
    at: dt.datetime | None = None,
    disclosure_version: str = DISCLOSURE_VERSION,
    event_source: str = ConsentEvent.Source.STAFF,
    lift_opt_out: bool = False,
) -> PhoneNumber:
    """Record SMS consent. Only staff with recorded consent re-subscribe an opted-out number
    (`lift_opt_out`); an import or a YES text never does.

    A number reported as a wrong number takes consent from staff only, and their consent clears the
    flag: they have reached whoever has the number now. An import or the API still sending the
    previous owner's consent is not recorded (it would make a stranger offerable again)."""
    if source not in PhoneNumber.ConsentSource.values:
        raise ValidationError({"consent_source": f"Unknown consent source {source!r}."})
    at = at or now()
    before = snapshot(phone)
    values = dict(
        consent_at=at,
        consent_source=source,
        consent_recorded_by=actor.label,
        consent_disclosure_version=disclosure_version,
    )
    target = PhoneNumber.objects.filter(pk=phone.pk)
    if event_source == ConsentEvent.Source.STAFF:
        values.update(wrong_number_flagged=False)
    else:
        target = target.filter(wrong_number_flagged=False)
    if lift_opt_out:
        values.update(opted_out=False, opted_out_at=None, opted_out_source="")
    if target.update(**values) != 1:
        log.info("consent for %s from %s not recorded: the number was reported as a wrong number",
                 mask(phone.e164), event_source)
        phone.refresh_from_db()
        return phone
    phone.refresh_from_db()
    ConsentEvent.objects.create(
        phone=phone,
        kind=ConsentEvent.Kind.OPT_IN,
        source=event_source,
        consent_source=source,
        disclosure_version=disclosure_version,
        recorded_by=actor.label,
        at=at,
    )
    audit_record(actor=actor, action="consent.record", obj=phone, before=before, after=snapshot(phone))
    return phone


def phone_flag_wrong_number(*, phone: PhoneNumber, actor: Actor, message: Message) -> bool:
    """Someone at this number says it is not the patient's: flag it for staff and clear the consent
    on record in the caller's transaction. That consent was the previous owner's, so the new owner's
    START (which our opt-out confirmation invites) must find none to bring back (docs/SMS.md).
    Returns whether the flag is new."""
    n = PhoneNumber.objects.filter(pk=phone.pk, wrong_number_flagged=False).update(wrong_number_flagged=True)
    if n == 1:
        audit_record(actor=actor, action="phone.wrong_number", obj=phone, before={"wrong_number_flagged": False},
                     after={"wrong_number_flagged": True})
    _consent_clear_of_wrong_number(phone=phone, actor=actor, message=message,
                                   note="reported as a wrong number: the consent was the previous owner's")
    phone.refresh_from_db()
    return n == 1


def _consent_clear_of_wrong_number(*, phone: PhoneNumber, actor: Actor, message: Message, note: str) -> bool:
    before = PhoneNumber.objects.filter(pk=phone.pk).values(
        "consent_at", "consent_source", "consent_recorded_by", "consent_disclosure_version"
    ).first()
    n = PhoneNumber.objects.filter(pk=phone.pk, wrong_number_flagged=True, consent_at__isnull=False).update(
        consent_at=None, consent_source="", consent_recorded_by="", consent_disclosure_version=""
    )
    if n != 1:
        return False
    at = now()
    ConsentEvent.objects.create(
        phone=phone, kind=ConsentEvent.Kind.CONSENT_CLEARED, source=ConsentEvent.Source.KEYWORD,
        recorded_by=actor.label, at=at, message=message, note=note,
    )
    audit_record(
        actor=actor, action="consent.clear", obj=phone, before=before,
        after={"consent_at": None, "consent_source": "", "consent_recorded_by": "", "consent_disclosure_version": ""},
        note=note,
    )
    return True


def phone_opt_out(*, phone: PhoneNumber, source: str, actor: Actor, message: Message | None = None) -> bool:
    """Opt a number out. Idempotent: False when it already was."""
    at = now()
    n = PhoneNumber.objects.filter(pk=phone.pk, opted_out=False).update(
        opted_out=True, opted_out_at=at, opted_out_source=source
    )
    if n != 1:
        return False
    ConsentEvent.objects.create(
        phone=phone, kind=ConsentEvent.Kind.OPT_OUT, source=source, recorded_by=actor.label, at=at, message=message
    )
    audit_record(
        actor=actor, action="consent.opt_out", obj=phone, before={"opted_out": False}, after={"opted_out": True}
    )
    phone.refresh_from_db()
    events().on_opt_out(phone=phone, actor=actor)
    log.info("number %s opted out (%s)", mask(phone.e164), source)
    return True


def phone_opt_in_by_keyword(*, phone: PhoneNumber, actor: Actor, message: Message) -> bool:
    """START / UNSTOP: lifts an opt-out (Twilio unblocks the number on the same words). It gives no
    consent: a number that never had any still has none, and one reported as a wrong number keeps
    none (consent still on such a number, flagged before the report cleared it, is cleared now)."""
    at = now()
    wrong_number = PhoneNumber.objects.filter(pk=phone.pk, wrong_number_flagged=True).exists()
    if wrong_number:
        _consent_clear_of_wrong_number(
            phone=phone, actor=actor, message=message,
            note="START from a number reported as a wrong number: the previous owner's consent is not restored",
        )
    n = PhoneNumber.objects.filter(pk=phone.pk, opted_out=True).update(
        opted_out=False, opted_out_at=None, opted_out_source=""
    )
    ConsentEvent.objects.create(
        phone=phone, kind=ConsentEvent.Kind.OPT_IN, source=ConsentEvent.Source.KEYWORD, recorded_by=actor.label,
        consent_source="sms", at=at, message=message,
        note="opt-out lifted; no consent (reported as a wrong number)" if wrong_number else "",
    )
    if n == 1:
        audit_record(
            actor=actor, action="consent.opt_in", obj=phone, before={"opted_out": True}, after={"opted_out": False}
        )
    phone.refresh_from_db()
    return n == 1


def phone_mark_cannot_receive(*, phone: PhoneNumber, code: str, actor: Actor, message: Message | None = None) -> None:
    n = PhoneNumber.objects.filter(pk=phone.pk, cannot_receive=False).update(
        cannot_receive=True, cannot_receive_reason=f"carrier error {code}"
    )
    if n == 1:
        ConsentEvent.objects.create(
            phone=phone, kind=ConsentEvent.Kind.CANNOT_RECEIVE, source=ConsentEvent.Source.CARRIER,
            recorded_by=actor.label, at=now(), message=message, note=f"error {code}",
        )
        audit_record(actor=actor, action="phone.cannot_receive", obj=phone, after={"code": code})


def phone_clear_cannot_receive(*, phone: PhoneNumber, actor: Actor) -> None:
    with transaction.atomic():
        n = PhoneNumber.objects.filter(pk=phone.pk, cannot_receive=True).update(
            cannot_receive=False, cannot_receive_reason=""
        )
        if n == 1:
            audit_record(actor=actor, action="phone.can_receive", obj=phone, after={"cannot_receive": False})


# --- the outbox --------------------------------------------------------------------------------


def message_enqueue(
    *,
    phone: PhoneNumber,
    template: str,
    context: dict | None = None,
    language: str = "en",
    patient=None,
    valid_until: dt.datetime | None = None,
    not_before: dt.datetime | None = None,
    respects_window: bool = False,
    auto_reply: bool = False,
) -> Message | None:
    """Create an outbound message in the caller's transaction and send it after commit.

    Returns None (and sends nothing) when the number must not be texted, or when an auto-reply is
    over its rate limit. Replies to a number's own text still go to an opted-out number only for
    the opt-out confirmation (`template == "opt_out_confirm"`)."""
    # the caller's object may predate an opt-out in another transaction: ask the database
    opted_out, cannot_receive = _PHONE_FLAGS.first(phone_id=phone.pk) or (phone.opted_out, phone.cannot_receive)
    if _must_not_text(template, opted_out=opted_out, cannot_receive=cannot_receive):
        return None
    if auto_reply and not _first_essential_reply(phone, template) and _auto_reply_limited(phone):
        log.warning("auto-reply %s to %s over its rate limit: not sent", template, mask(phone.e164))
        return None
    at = now()
    wait_until = not_before if not_before and not_before > at else None
    message = _outbound(
        phone=phone, template=template, context=context or {}, language=language, patient=patient,
        valid_until=valid_until, respects_window=respects_window, auto_reply=auto_reply, at=at,
        wait_until=wait_until,
    )
    _MESSAGE_INSERT.create([message])
    if wait_until is None:
        enqueue_after_commit(SEND_TASK, message.pk)
    return message


_PHONE_FLAGS = Prepared(
    lambda p: PhoneNumber.objects.filter(pk=p.phone_id).values_list("opted_out", "cannot_receive")[:1]
)


def _must_not_text(template: str, *, opted_out: bool, cannot_receive: bool) -> bool:
    # an opted-out number still gets the one confirmation of its opt-out
    return cannot_receive or (opted_out and template != "opt_out_confirm")


def _outbound(
    *, phone, template: str, context: dict, language: str, patient, valid_until, respects_window: bool,
    auto_reply: bool, at: dt.datetime, wait_until: dt.datetime | None = None,
) -> Message:
    """An unsaved queued outbound text (one row shape for `message_enqueue` and `messages_enqueue`)."""
    rendered = render_sms(template, language, context)
    return Message(
        direction=Message.Direction.OUTBOUND,
        phone=phone,
        patient=patient,
        body=rendered.body,
        kind=template,
        template=rendered.template,
        template_version=rendered.version,
        language=rendered.language,
        encoding=rendered.encoding,
        segments=rendered.segments,
        is_auto_reply=auto_reply,
        send_state=Message.SendState.QUEUED,
        valid_until=valid_until,
        respects_window=respects_window,
        next_attempt_at=wait_until,
        enqueued_at=at if wait_until is None else None,
        created_at=at,
    )


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """One text of a batch (`messages_enqueue`)."""

    phone: PhoneNumber
    context: dict
    language: str = "en"
    patient: object = None
    valid_until: dt.datetime | None = None


def messages_enqueue(*, template: str, items: list[Outgoing], respects_window: bool = False) -> list[Message | None]:
    """`message_enqueue` for many texts of one template that are not auto-replies (a wave's offers, a
    slot's "taken" notices): one read of the numbers' flags and one INSERT, each sent after commit.
    Returns, per item, its message or None when the number must not be texted."""
    if not items:
        return []
    # the callers' objects may predate an opt-out in another transaction: ask the database
    flags = {
        pk: (opted_out, cannot_receive)
        for pk, opted_out, cannot_receive in PhoneNumber.objects.filter(
            pk__in={item.phone.pk for item in items}
        ).values_list("pk", "opted_out", "cannot_receive")
    }
    at = now()
    rows: list[Message | None] = []
    for item in items:
        opted_out, cannot_receive = flags.get(item.phone.pk, (item.phone.opted_out, item.phone.cannot_receive))
        if _must_not_text(template, opted_out=opted_out, cannot_receive=cannot_receive):
            rows.append(None)
            continue
        rows.append(_outbound(
            phone=item.phone, template=template, context=item.context, language=item.language,
            patient=item.patient, valid_until=item.valid_until, respects_window=respects_window,
            auto_reply=False, at=at,
        ))
    _MESSAGE_INSERT.create([m for m in rows if m is not None])
    for message in rows:
        if message is not None:
            enqueue_after_commit(SEND_TASK, message.pk)
    return rows


def _first_essential_reply(phone: PhoneNumber, template: str) -> bool:
    """A booking confirmation or opt-out confirmation not already sent to this number lately."""
    if template not in ESSENTIAL_REPLIES:
        return False
    return not Message.objects.filter(
        phone=phone, direction=Message.Direction.OUTBOUND, kind=template, created_at__gte=now() - LOOP_GUARD
    ).exists()


def _auto_reply_limited(phone: PhoneNumber) -> bool:
    """Whether an auto-reply to this number is over its limit (per number, and overall).

    django-ratelimit counts in the shared cache (Redis in production), so the limit holds across
    web processes and workers. Only auto-replies are limited: the inbound text that caused one has
    already been recorded and acted on. A cache that cannot count fails closed (no auto-reply) and
    never fails the caller's transaction."""
    from django_ratelimit.core import get_usage

    request = types.SimpleNamespace(method="POST")
    try:
        # the database cache shares the caller's connection: a savepoint keeps its failure contained
        with transaction.atomic():
            for group, rate, key in (
                ("auto-reply-number", settings.AUTO_REPLY_RATE_PER_NUMBER, phone.e164),
                ("auto-reply-all", settings.AUTO_REPLY_RATE_GLOBAL, "all"),
            ):
                usage = get_usage(request, group=group, key=lambda g, r, k=key: k, rate=rate, increment=True)
                if usage is not None and usage["should_limit"]:
                    return True
    except Exception:  # noqa: BLE001 - Redis down or the cache table missing: no auto-reply, no crash
        log.exception("auto-reply limiter unavailable: auto-reply to %s not sent", mask(phone.e164))
        return True
    return False


# Every text's send runs these: compiled once, run with each text's values (core/prepared.py; on the
# fill simulator building and compiling them cost more than SQLite spent running them)
_CLAIM = Prepared(lambda p: (
    Message.objects.filter(pk=p.message_id, send_state=Message.SendState.QUEUED)
    .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=p.at)),
    {"send_state": Message.SendState.SENDING, "sending_at": p.at, "attempts": F("attempts") + 1},
), kind="update")
_MESSAGE_WITH_PHONE = Prepared(lambda p: Message.objects.select_related("phone").filter(pk=p.message_id)[:1])
_SENDER_HEALTH = Prepared(lambda p: SenderHealth.objects.filter(pk=1).values_list("paused", "failure_streak")[:1])
_MARK_SENT = Prepared(lambda p: (
    Message.objects.filter(pk=p.message_id, send_state=Message.SendState.SENDING),
    {"send_state": Message.SendState.SENT, "provider_sid": p.sid, "sent_at": p.at, "error_code": "", "error_message": ""},
), kind="update")
_EARLY_EVENTS = Prepared(
    lambda p: StatusEvent.objects.filter(provider_sid=p.sid, message__isnull=True).order_by("received_at", "pk")
)


def message_send(*, message_id: int) -> str:
    """Claim a queued message and hand it to the backend. Returns what happened (for logs/tests).

    The claim (queued -> sending) is a conditional UPDATE, so two workers never send one row. A row
    whose send may have reached Twilio without us learning the outcome stays in `sending`, flagged:
    staff see it (selectors.messages_stuck_sending) and it is never resent silently."""
    at = now()
    claimed = _CLAIM.update(message_id=message_id, at=at)
    if claimed != 1:
        return "not-claimed"
    message = _MESSAGE_WITH_PHONE.first(message_id=message_id)
    phone = message.phone
    if message.valid_until is not None and message.valid_until <= at:
        _send_failed(message, code="local-expired",
                     text="not sent: too late (the offer's hold or the sending hours ended before it could go)")
        return "expired-before-send"
    if phone.opted_out and message.kind != "opt_out_confirm":
        _send_failed(message, code="local-opted-out", text="not sent: the number opted out")
        return "opted-out"
    if phone.cannot_receive:
        _send_failed(message, code="local-cannot-receive", text="not sent: the number cannot receive texts")
        return "cannot-receive"
    if phone.consent_at is None and _is_outreach(message):
        # consent cleared while the text waited (a wrong-number report, then START): outreach needs
        # consent on record when it leaves, not only when it was queued
        _send_failed(message, code="local-no-consent", text="not sent: the number has no consent on record")
        return "no-consent"
    # one read of the sender's state: whether outreach is paused, and whether a success must reset
    # a failure streak (nearly always 0: an UPDATE per text to find that out was wasted)
    paused, streak = _SENDER_HEALTH.first() or (False, 0)
    if not message.is_auto_reply and paused:
        # the sender is failing as a whole: hold outreach until staff resume it
        _hold(message, until=at + PAUSED_RECHECK)
        return "held-sender-paused"
    if message.valid_until is not None:
        # an offer's text is worthless after its hold: Twilio drops it from its queue by then
        validity = (message.valid_until - at).total_seconds()
    elif message.respects_window:
        # outreach not tied to an offer (a welcome, the retention ask) goes only while the sending
        # hours last, and must not ride Twilio's 10-hour queue into the night either: it is valid
        # until closing. A retry or a backlog that pushed it past closing, or too close to it to be
        # delivered, waits for the next opening (an offer's text instead expires: `valid_until`).
        window = default_window()
        stops = window.sending_stops_at(at)
        if not window.is_open(at) or (stops is not None and stops - at < WINDOW_MIN_VALIDITY):
            _hold(message, until=window.next_open(stops or at))
            return "held-for-window"
        validity = (stops - at).total_seconds() if stops is not None else None
    else:
        validity = None
    backend = backends.get_backend()
    try:
        result = backend.send(backends.OutgoingSms(to=phone.e164, body=message.body, validity_seconds=validity))
    except Exception as exc:  # noqa: BLE001 - a backend bug: the text may or may not have gone out
        log.exception("backend raised while sending message %s", message.pk)
        result = backends.SendResult(ok=False, error_code="backend", error_message=exc.__class__.__name__, unknown=True)
    if result.ok:
        # A provider that reports delivery breaks a failure streak with a delivered text, not with
        # an accepted one: carrier failures (30007 filtering, 30008) arrive by callback after the
        # API accepted the text, and each new acceptance would have reset their count for ever
        plays_provider = getattr(backend, "plays_provider", False)
        reports_delivery = plays_provider or getattr(backend, "reports_delivery", False)
        return _send_succeeded(message, result, plays_provider=plays_provider,
                               reset_streak=streak > 0 and not reports_delivery)
    if result.unknown:
        _send_outcome_unknown(message, code=result.error_code, text=result.error_message)
        return "unknown"
    if result.transient and message.attempts < MAX_SEND_ATTEMPTS:
        delay = RETRY_DELAYS[min(message.attempts, len(RETRY_DELAYS)) - 1]
        Message.objects.filter(pk=message.pk, send_state=Message.SendState.SENDING).update(
            send_state=Message.SendState.QUEUED,
            next_attempt_at=now() + dt.timedelta(seconds=delay),
            error_code=result.error_code,
            error_message=result.error_message[:300],
        )
        log.warning("send of message %s failed (%s), retry in %ss", message.pk, result.error_code, delay)
        return "retry"
    _send_failed(message, code=result.error_code, text=result.error_message, sender_wide=result.sender_wide)
    return "failed"


def _is_outreach(message: Message) -> bool:
    """A text we start (an offer, a welcome, the retention ask), as opposed to an answer to the
    number's own text or news about an offer it already had."""
    return not message.is_auto_reply and (message.valid_until is not None or message.respects_window)


def _hold(message: Message, *, until: dt.datetime | None) -> None:
    """Put a claimed message back in the queue until `until` without sending it: the wait is not an
    attempt."""
    Message.objects.filter(pk=message.pk, send_state=Message.SendState.SENDING).update(
        send_state=Message.SendState.QUEUED, next_attempt_at=until, attempts=F("attempts") - 1
    )


def _send_succeeded(message: Message, result: backends.SendResult, *, plays_provider: bool, reset_streak: bool) -> str:
    try:
        with transaction.atomic():
            _MARK_SENT.update(message_id=message.pk, sid=result.sid, at=now())
            if reset_streak:
                # a success breaks a run of failures across different numbers
                _failure_streak_reset()
            if result.status:
                _status_forward(message.pk, result.status)
    except IntegrityError:
        # the provider answered with a sid we already hold: sent, but not traceable; a human looks
        _send_outcome_unknown(message, code="duplicate-sid", text=f"provider returned a known sid {result.sid[:40]}")
        return "unknown"
    # A status callback can beat the API's answer to us. Looked for only once the sid is committed:
    # a callback that missed the sid stored its event before this read, or finds the sid itself
    # after storing it (`status_apply`); either way one of us attaches it.
    _attach_early_events(message, result.sid)
    if plays_provider:
        enqueue_after_commit(DELIVER_TASK, result.sid)
    return "sent"


def _send_outcome_unknown(message: Message, *, code: str, text: str) -> None:
    Message.objects.filter(pk=message.pk, send_state=Message.SendState.SENDING).update(
        error_code=code[:20], error_message=text[:300], needs_attention="send_outcome_unknown"
    )
    log.error("message %s to %s: send outcome unknown (%s); left in 'sending' for staff",
              message.pk, mask(message.phone.e164), code)


def _send_failed(message: Message, *, code: str, text: str, sender_wide: bool = False) -> None:
    with transaction.atomic():
        n = Message.objects.filter(pk=message.pk, send_state=Message.SendState.SENDING).update(
            send_state=Message.SendState.FAILED, error_code=code[:20], error_message=text[:300], status_at=now()
        )
        if n != 1:
            return
        message.refresh_from_db()
        _apply_failure(message, code=code, sender_wide=sender_wide)


def _apply_failure(message: Message, *, code: str, sender_wide: bool = False) -> None:
    """What a permanent failure means: flags on the number, a sender-wide pause, and the engine
    moving on from an undeliverable offer."""
    actor = Actor.system("carrier")
    phone = message.phone
    if code in backends.PER_NUMBER_OPTED_OUT:
        phone_opt_out(phone=phone, source=ConsentEvent.Source.CARRIER, actor=actor, message=message)
    elif code in backends.PER_NUMBER_CANNOT_RECEIVE:
        phone_mark_cannot_receive(phone=phone, code=code, actor=actor, message=message)
    if _expired_at_closing(message, code):
        _resend_at_next_opening(message)  # our own validity ended it: no evidence against the sender
    elif code.startswith("local-") or code in backends.PER_NUMBER_EXPLAINED:
        pass  # the recipient explains it: no evidence against the sender
    elif sender_wide or code in backends.SENDER_WIDE:
        sender_pause(reason=f"Twilio error {code} affects the whole sender")
    else:
        _note_failure_streak(phone)
    events().on_delivery_failed(message=message)


def _expired_at_closing(message: Message, code: str) -> bool:
    """Outreach that was valid only until the sending hours closed (`message_send`) and was still in
    Twilio's queue then: a backlog at closing (a late import's welcomes), not a failure."""
    return code == VALIDITY_EXPIRED and message.respects_window and message.valid_until is None


def _resend_at_next_opening(message: Message) -> None:
    """The same text again, queued for the next opening of the sending hours (the sweeper releases
    it), as a text held for the window would have been."""
    if not PhoneNumber.objects.filter(pk=message.phone_id, opted_out=False, cannot_receive=False).exists():
        return
    at = now()
    Message.objects.create(
        direction=Message.Direction.OUTBOUND, phone_id=message.phone_id, patient_id=message.patient_id,
        body=message.body, kind=message.kind, template=message.template, template_version=message.template_version,
        language=message.language, encoding=message.encoding, segments=message.segments,
        send_state=Message.SendState.QUEUED, respects_window=True, next_attempt_at=default_window().next_open(at),
        created_at=at,
    )


DELIVERED = ("delivered", "read")


def _failure_streak_reset() -> None:
    SenderHealth.objects.filter(pk=1, failure_streak__gt=0).update(failure_streak=0, last_failed_phone=None)


def _note_failure_streak(phone: PhoneNumber) -> None:
    SenderHealth.objects.get_or_create(pk=1)
    # consecutive unexplained failures across *different* numbers suggest the sender, not the recipients
    n = SenderHealth.objects.filter(pk=1).exclude(last_failed_phone=phone).update(
        failure_streak=F("failure_streak") + 1, last_failed_phone=phone
    )
    if n and SenderHealth.objects.filter(pk=1, failure_streak__gte=settings.SENDER_FAILURE_THRESHOLD).exists():
        sender_pause(reason=f"{settings.SENDER_FAILURE_THRESHOLD} different numbers failed in a row")


def sender_pause(*, reason: str) -> bool:
    SenderHealth.objects.get_or_create(pk=1)
    with transaction.atomic():
        n = SenderHealth.objects.filter(pk=1, paused=False).update(
            paused=True, paused_reason=reason[:200], paused_at=now()
        )
        if n == 1:
            audit_record(actor=Actor.system("sender-health"), action="sender.pause", object_type="sender",
                         object_id=1, note=reason)
    if n == 1:
        log.error("outreach paused for the whole sender: %s", reason)
    return n == 1


def sender_resume(*, actor: Actor) -> bool:
    # the change and the record of who made it commit together, or neither does
    with transaction.atomic():
        n = SenderHealth.objects.filter(pk=1, paused=True).update(
            paused=False, paused_reason="", failure_streak=0, last_failed_phone=None, resumed_by_id=actor.user_id
        )
        if n == 1:
            audit_record(actor=actor, action="sender.resume", object_type="sender", object_id=1)
    return n == 1


def sender_is_paused() -> bool:
    return bool(_SENDER_PAUSED.all())


_SENDER_PAUSED = Prepared(lambda p: SenderHealth.objects.filter(pk=1, paused=True).values_list("pk", flat=True)[:1])


def messages_due(*, at: dt.datetime, limit: int = 200) -> list[int]:
    """Queued messages whose retry or window time has come (the sweeper enqueues them)."""
    return list(
        Message.objects.filter(send_state=Message.SendState.QUEUED, next_attempt_at__lte=at)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def message_release_due(*, message_id: int, at: dt.datetime) -> None:
    """A queued message whose time came: clear its wait and send it after commit."""
    n = Message.objects.filter(pk=message_id, send_state=Message.SendState.QUEUED, next_attempt_at__lte=at).update(
        next_attempt_at=None, enqueued_at=at, requeued_at=None
    )
    if n == 1:
        enqueue_after_commit(SEND_TASK, message_id)


def messages_requeue_lost(*, older_than: dt.datetime, at: dt.datetime | None = None, limit: int = 200) -> int:
    """Queued messages with no wait whose task may have been lost (a crashed broker): send again.

    A text whose task was enqueued before `older_than` is re-enqueued once, then at most every
    REQUEUE_EVERY: under load its first task may only be waiting its turn, and a copy every sweep
    would multiply the queue it waits in. The claim makes a duplicate task harmless."""
    at = at or now()
    lost = (
        Message.objects.filter(send_state=Message.SendState.QUEUED, next_attempt_at__isnull=True)
        # rows queued before these columns existed count from their creation
        .filter(Q(enqueued_at__lt=older_than) | Q(enqueued_at__isnull=True, created_at__lt=older_than))
        .filter(Q(requeued_at__isnull=True) | Q(requeued_at__lte=at - REQUEUE_EVERY))
    )
    requeued = 0
    for pk in list(lost.values_list("pk", flat=True)[:limit]):
        # conditional, so two sweeps running at once enqueue one copy
        if lost.filter(pk=pk).update(enqueued_at=at, requeued_at=at) == 1:
            enqueue_after_commit(SEND_TASK, pk)
            requeued += 1
    return requeued


def messages_cancel_queued(*, message_ids: list[int], code: str, text: str) -> list[int]:
    """Fail queued texts that must no longer leave (the offer they carry has ended), unsent. Only
    rows still `queued` change: a text a worker has claimed is left to its send. Not a delivery
    failure: nothing is held against the number or the sender. Returns the ids failed here."""
    if not message_ids:
        return []
    # no savepoint: the callers (an offer ending) are already in a transaction
    with transaction.atomic(savepoint=False):
        # locked first so the caller learns exactly which rows this call failed
        wanted = distinct(message_ids)
        ids = _QUEUED_OF.all(len(wanted), **spread("message", wanted))
        if ids:
            at = now()
            _WITHHOLD.update(len(ids), code=code[:20], text=text[:300], at=at, **spread("message", ids))
    return ids


# an offer's texts, one per offer that ended (core/prepared.py: keyed by how many)
_QUEUED_OF = Prepared(
    lambda p, n: Message.objects.select_for_update(of=("self",))
    .filter(one_of("pk", p, "message", n), direction=Message.Direction.OUTBOUND, send_state=Message.SendState.QUEUED)
    .order_by("pk")
    .values_list("pk", flat=True),
    keyed=True,
)
_WITHHOLD = Prepared(lambda p, n: (
    Message.objects.filter(one_of("pk", p, "message", n), send_state=Message.SendState.QUEUED),
    {"send_state": Message.SendState.FAILED, "error_code": p.code, "error_message": p.text, "status_at": p.at,
     "next_attempt_at": None,
     # withheld on purpose: nothing for a person to look at on the board
     "attention_cleared_at": p.at},
), kind="update", keyed=True)


# --- status callbacks ---------------------------------------------------------------------------


def _status_forward(message_id: int, status: str) -> int:
    rank = STATUS_RANK.get(status)
    if rank is None:
        return 0
    qs = Message.objects.filter(pk=message_id, status_rank__lt=rank)
    if status == "read":
        # "read" follows "delivered" only: a failed text is never read
        qs = qs.exclude(status__in=[*TERMINAL_FAILURES, "canceled"])
    return qs.update(status=status, status_rank=rank, status_at=now())


def _apply_status(message: Message, status: str, error_code: str) -> int:
    moved = _status_forward(message.pk, status)
    if moved and status in DELIVERED:
        # a delivered text breaks a run of failures across different numbers (`message_send`)
        _failure_streak_reset()
    if moved and status in TERMINAL_FAILURES:
        if error_code:
            Message.objects.filter(pk=message.pk).update(error_code=error_code)
        message.refresh_from_db()
        _apply_failure(message, code=error_code)
    return moved


def status_apply(*, sid: str, status: str, error_code: str = "", params: dict | None = None) -> str:
    """A delivery status for a message we sent. Idempotent per (sid, status); only moves forward
    (delivered / undelivered / failed / canceled never regress). A callback for a sid we do not know
    yet is kept and applied when the send records that sid."""
    status = (status or "").strip().lower()[:24]
    error_code = (error_code or "").strip()[:20]
    message = _sent_message(sid)
    # Stored and applied in one transaction: stored in one and applied in the next, a crash between
    # the two left a status that nothing applies (Twilio's repeat of it is a duplicate).
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = StatusEvent.objects.create(
                    provider_sid=sid, status=status, error_code=error_code, message=message,
                    raw_params=_clean_params(params) if params else None, received_at=now(),
                )
        except IntegrityError:
            return "duplicate"
        if message is not None:
            moved = _apply_status(message, status, error_code)
    if message is None:
        # The send may have committed its sid after our look-up but read the early events before
        # our event was committed: look again now that it is. The conditional attach settles who
        # applies it when the send saw it too.
        message = _sent_message(sid)
        if message is None:
            return "unknown-sid"
        return _attach(event, message) or "applied-by-send"
    return "applied" if moved else "stale"


def _sent_message(sid: str) -> Message | None:
    return (
        Message.objects.select_related("phone").filter(provider_sid=sid, direction=Message.Direction.OUTBOUND).first()
    )


def status_events_attach_orphans(*, older_than: dt.datetime, since: dt.datetime, limit: int = 200) -> int:
    """Statuses that arrived before their sid was known, for a sid a send has recorded since: the
    send attaches them right after recording it, unless it died in between (the sweeper's part).
    Only the last `since`: a sid no send of ours recorded stays unknown and is not read again."""
    orphans = list(
        StatusEvent.objects.filter(message__isnull=True, received_at__gte=since, received_at__lt=older_than)
        .filter(provider_sid__in=Message.objects.filter(direction=Message.Direction.OUTBOUND).values("provider_sid"))
        .order_by("received_at", "pk")[:limit]
    )
    attached = 0
    for event in orphans:
        message = _sent_message(event.provider_sid)
        if message is not None and _attach(event, message):
            attached += 1
    return attached


def _attach_early_events(message: Message, sid: str) -> None:
    for event in _EARLY_EVENTS.all(sid=sid):
        _attach(event, message)


def _attach(event: StatusEvent, message: Message) -> str:
    """Give a status that arrived before its sid was known to its message and apply it, once: the
    send and the callback may both try. '' when the other one did."""
    with transaction.atomic():
        if StatusEvent.objects.filter(pk=event.pk, message__isnull=True).update(message=message) != 1:
            return ""
        moved = _apply_status(message, event.status, event.error_code)
    return "applied" if moved else "stale"


def dev_deliver(*, sid: str) -> None:
    """The dev backend's stand-in for Twilio's callbacks, through the same code."""
    status_apply(sid=sid, status="sent")
    status_apply(sid=sid, status="delivered")


# --- inbound --------------------------------------------------------------------------------------


def _clean_params(params: dict[str, str]) -> dict[str, str]:
    # PostgreSQL stores no NUL character in text or jsonb; keep everything else as received
    return {str(k).replace("\x00", "\ufffd"): str(v).replace("\x00", "\ufffd") for k, v in params.items()}


def inbound_receive(*, params: dict[str, str]) -> str:
    """What the inbound webhook does with a signed text: store it once, then hand its processing
    to a worker after commit, so Twilio's request costs one INSERT and an enqueue (docs/SMS.md).

    An opt-out is the exception: it is acted on here, before Twilio hears 200, because a free-text
    revocation ("stop texting me") is not blocked by Twilio and an outreach text must not slip out
    in the gap before a worker gets to it. Opt-outs are rare, so the cost is too. If processing
    fails (or the enqueue is lost) the stored text is processed by the sweeper."""
    message, created = inbound_record(params=params)
    if not created and message.processed_at is not None:
        return "duplicate"
    raw = message.raw_params or {}
    if parse_reply(message.body, raw.get("OptOutType")).intent == Intent.OPT_OUT:
        try:
            return inbound_process(message_id=message.pk)
        except Exception:  # noqa: BLE001 - stored already: the worker (below) or the sweeper retries it
            log.exception("processing opt-out message %s failed; handing it to a worker", message.pk)
    enqueue_after_commit(PROCESS_TASK, message.pk)
    return "enqueued"


# A wave's texts, every reply and notice (core/prepared.py). An inbound text from a known number
# looks the number up inside its INSERT: `e164` is the number's, and a number never seen makes the
# subquery NULL, which the NOT NULL column refuses (`inbound_record`).
_MESSAGE_INSERT = PreparedInsert(Message)
_INBOUND_INSERT = PreparedInsert(
    Message, expressions=lambda p: {"phone_id": Subquery(PhoneNumber.objects.filter(e164=p.e164).values("pk")[:1])}
)


def _inbound_insert(fields: dict, e164: str | None = None) -> Message | None:
    """INSERT an inbound text, or None when the database refuses it: its MessageSid is already stored
    (a replay, or the same text in a concurrent request), or its number is not known yet (a NULL
    `phone_id`, see `inbound_record`). In autocommit (the webhook) that is one statement; inside a
    transaction (tests, the simulator) a savepoint keeps the duplicate from aborting the caller's."""
    try:
        insert = _INBOUND_INSERT if e164 is not None else _MESSAGE_INSERT
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                return insert.create([Message(**fields)], e164=e164)[0]
        return insert.create([Message(**fields)], e164=e164)[0]
    except IntegrityError:
        return None


def inbound_record(*, params: dict[str, str]) -> tuple[Message, bool]:
    """Store a signed inbound text once per MessageSid. Returns (message, created).

    One statement for a text from a known number (every patient's): the INSERT looks the number up
    itself (a scalar subquery on the unique e164), and the unique constraint on the sid finds
    replays. A number we have never seen makes the subquery NULL, which the NOT NULL column refuses:
    then the number is created and the text inserted again. Which patient wrote it is worked out
    when processing."""
    params = _clean_params(params)
    sid = params["MessageSid"][:40]
    try:
        e164 = normalize_phone(params["From"])
    except ValidationError:  # a short code or an alphanumeric sender: keep it, unnormalised
        e164 = params["From"][:16] or "unknown"
    fields = dict(
        direction=Message.Direction.INBOUND,
        body=params.get("Body", "")[:1600],
        provider_sid=sid,
        status="received",
        status_rank=STATUS_RANK["received"],
        send_state="",
        raw_params=params,
        created_at=now(),
    )
    message = _inbound_insert(fields, e164=e164)
    if message is not None:
        # the number's id came from the subquery, not the instance: leave it to be read if ever used
        del message.__dict__["phone_id"]
        return message, True
    stored = Message.objects.filter(provider_sid=sid).first()
    if stored is not None:
        return stored, False
    phone = PhoneNumber.objects.get_or_create(e164=e164)[0]
    message = _inbound_insert({**fields, "phone_id": phone.pk})
    if message is None:  # the same text, stored meanwhile by a concurrent request
        return Message.objects.get(provider_sid=sid), False
    return message, True


# an inbound text's processing runs these for every reply (core/prepared.py)
_EARLIER_UNPROCESSED = Prepared(lambda p: Message.objects.filter(
    direction=Message.Direction.INBOUND,
    processed_at__isnull=True,
    pk__lt=p.message_id,
    phone_id=Message.objects.filter(pk=p.message_id).values("phone_id")[:1],
).order_by("pk").values_list("pk", flat=True)[:20])
_INBOUND_CLAIM = Prepared(lambda p: (
    Message.objects.filter(pk=p.message_id, direction=Message.Direction.INBOUND, processed_at__isnull=True),
    {"processed_at": p.at},
), kind="update")
_SET_INTENT = Prepared(lambda p: (Message.objects.filter(pk=p.message_id), {"intent": p.intent}), kind="update")


_PATIENTS_OF_NUMBER = Prepared(
    lambda p: PhoneNumber.patients.rel.related_model.objects.filter(phone_id=p.phone_id).values_list("pk", "language")[:5]
)
_ATTRIBUTE = Prepared(lambda p: (
    Message.objects.filter(pk=p.message_id, patient__isnull=True), {"patient": p.patient_id}
), kind="update")


def message_attribute(*, message_id: int, patient_id: int) -> bool:
    """Say which patient wrote a text, unless that is already known (a reply from a family number is
    attributed by the offer it answers)."""
    return _ATTRIBUTE.update(message_id=message_id, patient_id=patient_id) == 1


def inbound_process(*, message_id: int) -> str:
    """Understand one inbound text and act on it, once. A worker runs it right after the webhook
    stores the text (an opt-out runs in the webhook itself); if it fails or its task is lost, the
    text stays unprocessed and the sweeper tries again.

    Texts from one number are acted on in the order they were stored, though their tasks may run
    at once on two workers (a YES then a NO, a YES then STOP): earlier unprocessed texts of the
    number go first. If another worker is processing one of them, its claim waits for that
    worker's commit and then finds it done."""
    for pk in _EARLIER_UNPROCESSED.all(message_id=message_id):
        try:
            _inbound_process_one(message_id=pk)
        except Exception:  # noqa: BLE001 - a text that cannot be processed must not hold up the next
            log.exception("processing earlier inbound message %s failed; the sweeper will retry", pk)
            _inbound_failed(pk)
    try:
        return _inbound_process_one(message_id=message_id)
    except Exception:
        _inbound_failed(message_id)
        raise


def _inbound_failed(message_id: int) -> None:
    """Count a failed attempt at an inbound text (its own transaction was rolled back). A text that
    fails every time (a bug, a row it trips on) used to be retried by the sweeper forever, seen only in
    the logs: after INBOUND_MAX_ATTEMPTS it is set aside for a person, flagged on the board."""
    with transaction.atomic():
        Message.objects.filter(pk=message_id, processed_at__isnull=True).update(attempts=F("attempts") + 1)
        n = Message.objects.filter(
            pk=message_id, processed_at__isnull=True, attempts__gte=INBOUND_MAX_ATTEMPTS
        ).update(processed_at=now(), needs_attention="processing_failed")
    if n:
        log.error("inbound message %s failed %s times: flagged for staff, no longer retried", message_id,
                  INBOUND_MAX_ATTEMPTS)


def _inbound_process_one(*, message_id: int) -> str:
    with transaction.atomic():
        at = now()
        n = _INBOUND_CLAIM.update(message_id=message_id, at=at)
        if n != 1:
            return "already-processed"
        message = _MESSAGE_WITH_PHONE.first(message_id=message_id)
        raw = message.raw_params or {}
        parsed = parse_reply(message.body, raw.get("OptOutType"))
        intent = parsed.intent
        phone = message.phone
        actor = Actor.patient(phone.e164)
        patients = _PATIENTS_OF_NUMBER.all(phone_id=phone.pk)
        if len(patients) == 1 and message.patient_id is None:
            # the text belongs to a patient when the number has exactly one (family numbers have more)
            message_attribute(message_id=message.pk, patient_id=patients[0][0])
            message.patient_id = patients[0][0]
        if intent == Intent.ACCEPT and phone.opted_out:
            # YES never re-subscribes an opted-out number and books nothing (we may not text it the
            # outcome); staff see it and can re-subscribe a patient whose consent they record
            Message.objects.filter(pk=message.pk).update(
                intent=Intent.UNKNOWN.value, needs_attention="opted_out_reply"
            )
            return "ignored-opted-out"
        _SET_INTENT.update(message_id=message.pk, intent=intent.value)
        message.intent = intent.value
        languages = {lang for _pk, lang in patients}
        language = languages.pop() if len(languages) == 1 else "en"

        if intent == Intent.OPT_OUT:
            if parsed.wrong_number:
                phone_flag_wrong_number(phone=phone, actor=actor, message=message)
                Message.objects.filter(pk=message.pk).update(needs_attention="wrong_number")
            changed = phone_opt_out(phone=phone, source=ConsentEvent.Source.KEYWORD, actor=actor, message=message)
            # Twilio confirms the keywords it recognised itself; a free-text revocation ("stop texting
            # me") reaches only us, so we confirm that one
            if changed and not _twilio_answered(message, "STOP"):
                message_enqueue(phone=phone, template="opt_out_confirm", language=language, auto_reply=True)
            return "opt_out"
        if intent == Intent.OPT_IN:
            phone_opt_in_by_keyword(phone=phone, actor=actor, message=message)
            if _twilio_answered(message, "START"):
                return "opt_in"  # Twilio sent its own opt-in confirmation: a second text would be noise
            if phone.consent_at is not None:
                message_enqueue(phone=phone, template="welcome_back", language=language, auto_reply=True)
            else:
                # START from a number with no consent (never had any, or reported as a wrong number)
                # subscribes it to nothing: "you are resubscribed" would promise offers it will not get
                _generic_reply(phone=phone, language=language, at=at)
            return "opt_in"
        if intent == Intent.HELP:
            ConsentEvent.objects.create(
                phone=phone, kind=ConsentEvent.Kind.HELP, source=ConsentEvent.Source.KEYWORD, at=at, message=message
            )
            if not _twilio_answered(message, "HELP"):
                message_enqueue(phone=phone, template="help", language=language, auto_reply=True)
            return "help"
        handled = events().on_reply(message=message, parsed=dataclasses.replace(parsed, intent=intent))
        if handled:
            return intent.value
        if intent == Intent.ACCEPT and _asked_to_stay_on_list(phone, at):
            # a YES to "reply YES to stay on the waitlist" (no offer to answer): the daily retention
            # run keeps the entries on this reply; the patient hears so now, not a generic line
            message_enqueue(phone=phone, template="staff_still_on_list", language=language, auto_reply=True)
            return "stay_on_list"
        if intent in (Intent.UNKNOWN, Intent.DECLINE) and patients:
            # a known patient wrote something with no offer to attach it to, or a NO the engine did
            # not act on (from a patient already booked, say): a human should see it
            flag = "unrecognised" if intent == Intent.UNKNOWN else "no_without_open_offer"
            Message.objects.filter(pk=message.pk).update(needs_attention=flag)
        _generic_reply(phone=phone, language=language, at=at)
        return "generic"


def _twilio_answered(message: Message, keyword: str) -> bool:
    """Whether Twilio itself answered this text as a STOP, START or HELP keyword: we must not answer
    twice (after STOP our answer would fail with 21610 anyway). Under Advanced Opt-Out Twilio says so
    (`OptOutType`); without it its default keywords still apply, unflagged, whenever a real Twilio
    number received the text."""
    raw = message.raw_params or {}
    if settings.TWILIO_ADVANCED_OPT_OUT:
        return raw.get("OptOutType", "").strip().upper() == keyword
    if not getattr(backends.get_backend(), "answers_default_keywords", False):
        return False
    return backends.default_keyword(message.body) == keyword


def _asked_to_stay_on_list(phone: PhoneNumber, at: dt.datetime) -> bool:
    """The number was asked lately to stay on the list and still has an active entry (once the
    retention run has removed its entries, "you are still on the list" would be false). An ask
    queued overnight is sent, and its wait counted, from the next morning: hence twice the wait."""
    return (
        Message.objects.filter(
            phone=phone, direction=Message.Direction.OUTBOUND, kind=STAY_ON_LIST_TEMPLATE,
            created_at__gt=at - 2 * STAY_ON_LIST_WAIT, created_at__lte=at,
        ).exists()
        and phone.patients.filter(entries__active=True).exists()
    )


def _generic_reply(*, phone: PhoneNumber, language: str, at: dt.datetime) -> None:
    """One generic line with the clinic's phone, at most once a day per number."""
    recent = Message.objects.filter(
        phone=phone, direction=Message.Direction.OUTBOUND, kind="generic", created_at__gte=at - dt.timedelta(days=1)
    ).exists()
    if not recent:
        message_enqueue(phone=phone, template="generic", language=language, auto_reply=True)


def inbound_unprocessed(*, older_than: dt.datetime, limit: int = 100) -> list[int]:
    # oldest first: texts that keep failing leave the queue after a few tries, so they cannot hold
    # the first places for ever
    return list(
        Message.objects.filter(
            direction=Message.Direction.INBOUND, processed_at__isnull=True, created_at__lt=older_than
        ).order_by("created_at", "pk").values_list("pk", flat=True)[:limit]
    )


def message_flag_clear(*, message_id: int, actor: Actor) -> bool:
    """A person handled a text on the board: a flagged reply, a send stuck in `sending` (they checked
    Twilio's log) or a failed send. It leaves the board and the health check; its states stay."""
    with transaction.atomic():
        n = needs_attention_now(message_id=message_id).update(attention_cleared_at=now())
        if n:
            audit_record(actor=actor, action="message.flag_clear", object_type="messaging.message",
                         object_id=message_id)
    return n == 1
