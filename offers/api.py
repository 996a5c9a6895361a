"""The integration API, offers side, under /api/v1/: cancellations (with the engine's staff actions),
offers and messages (read) and the fill metrics. Built on the plumbing in waitlist/api.py."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from clinicbot.clock import now
from core.services import audit_access
from messaging.models import STATUS_RANK, Message
from waitlist import services as waitlist_services
from waitlist.api import (
    EXTERNAL_ID_PARAM,
    ApiView,
    AppointmentTypeField,
    AwareDateTimeField,
    Conflict,
    IdField,
    InRangeDateField,
    UpsertViewSet,
    changed,
    id_param,
    query_choice,
    query_id,
)
from waitlist.models import Location, Provider

from . import services
from .metrics import fill_metrics
from .models import Cancellation, Offer

# --- cancellations ---------------------------------------------------------------------------------------


class OfferIdsField(serializers.ListField):
    child = serializers.IntegerField()

    def get_attribute(self, instance):
        return [offer.pk for offer in instance.offers.all()]


class CancellationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    provider = IdField(queryset=Provider.objects.all())
    location = IdField(queryset=Location.objects.all())
    start_at = AwareDateTimeField(help_text="ISO 8601 with offset")
    duration_minutes = serializers.IntegerField(min_value=1, max_value=600, required=False,
                                                help_text="Omitted: the appointment type's default length")
    appointment_type = AppointmentTypeField(required=False, help_text="Code; omitted: DEFAULT_APPOINTMENT_TYPE")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)
    external_id = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)
    status = serializers.ChoiceField(choices=Cancellation.Status.values, read_only=True)
    end_reason = serializers.CharField(read_only=True)
    paused = serializers.BooleanField(read_only=True)
    current_wave = serializers.IntegerField(read_only=True)
    offers = OfferIdsField(read_only=True, help_text="Ids of the offers made for this slot")
    created_at = serializers.DateTimeField(read_only=True)
    filled_at = serializers.DateTimeField(read_only=True, allow_null=True)
    filled_offer = serializers.IntegerField(source="filled_offer_id", read_only=True, allow_null=True)
    ended_at = serializers.DateTimeField(read_only=True, allow_null=True)
    ehr_booked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    ehr_released_at = serializers.DateTimeField(read_only=True, allow_null=True)

    def validate_external_id(self, value):
        value = (value or "").strip() or None
        if value is not None:
            clash = Cancellation.objects.filter(external_id=value)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError("Another cancellation has this external_id.")
        return value

    def validate(self, attrs):
        if self.instance is None:
            if "appointment_type" not in attrs:
                attrs["appointment_type"] = waitlist_services.appointment_type_default()
            if "duration_minutes" not in attrs:
                attrs["duration_minutes"] = attrs["appointment_type"].default_minutes
        return attrs


def cancellation_apply(*, actor, validated: dict, instance: Cancellation | None) -> tuple[Cancellation, str]:
    """Save validated cancellation values (API or import): 'created', 'updated' or 'unchanged'.
    Raises CancellationLocked when an offering or ended slot would change."""
    if instance is None:
        try:
            return services.cancellation_create(actor=actor, **validated), "created"
        except DjangoValidationError:
            # pushed twice at once: the other push logged it, so this one is an update
            external_id = validated.get("external_id")
            instance = Cancellation.objects.filter(external_id=external_id).first() if external_id else None
            if instance is None:
                raise
    changes = {k: v for k, v in validated.items() if k in services.UPDATABLE_FIELDS}
    if not changed(instance, changes):
        return instance, "unchanged"
    return services.cancellation_update(cancellation_id=instance.pk, actor=actor, **changes), "updated"


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class NextWaveSerializer(serializers.Serializer):
    after_wave = serializers.IntegerField(
        min_value=0, max_value=32767, required=False,
        help_text="The wave you last saw (`current_wave`): a retried or repeated request then starts no "
                  "second wave (409). Omitted: a wave is started whatever the current one is.",
    )


NEXT_WAVE_REFUSALS = {
    "already-advanced": "The cancellation is no longer at the wave given in after_wave (a repeated request, or "
                        "another wave started first): no wave was started.",
    "waiting-for-busy": "Everyone left is busy with another offer or resting: the engine tries again when one is free.",
    "ended": "This cancellation has ended.",
    "sender-paused": "Outreach is paused for the whole sender (repeated delivery failures); a manager must resume it.",
    "cutoff": "Too close to the slot's start: no further offers (the slot is unfilled unless an offer is still pending).",
    "waiting-for-window": "Outside sending hours: the next wave starts when the window opens.",
    "exhausted": "Nobody eligible is left on the waitlist for this slot.",
    "lost-race": "Another wave started at the same moment.",
}


@extend_schema_view(
    list=extend_schema(parameters=[
        EXTERNAL_ID_PARAM,
        OpenApiParameter("status", OpenApiTypes.STR, enum=Cancellation.Status.values),
        id_param("provider", "Slots of this provider"), id_param("location", "Slots at this location"),
    ]),
)
class CancellationViewSet(UpsertViewSet):
    serializer_class = CancellationSerializer
    model_permission = "offers.cancellation"
    action_permissions = dict.fromkeys(
        ("withdraw", "pause", "resume", "mark_filled", "next_wave", "ehr_booked", "ehr_released"),
        ["offers.change_cancellation"],
    )

    def get_queryset(self):
        qs = Cancellation.objects.order_by("pk").select_related("appointment_type").prefetch_related("offers")
        if self.action == "list":
            qs = self.filter_external_id(qs)
            state = query_choice(self.request, "status", Cancellation.Status.values)
            if state is not None:
                qs = qs.filter(status=state)
            for name in ("provider", "location"):
                value = query_id(self.request, name)
                if value is not None:
                    qs = qs.filter(**{f"{name}_id": value})
        return qs

    def save(self, validated, instance):
        try:
            obj, outcome = cancellation_apply(actor=self.actor, validated=validated, instance=instance)
        except services.CancellationLocked as exc:
            raise Conflict(str(exc))
        return obj, outcome == "created"

    def _respond(self, cancellation_id: int) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=cancellation_id)).data)

    def _act(self, done: bool, refusal: str) -> Response:
        if not done:
            raise Conflict(refusal)
        return self._respond(self.kwargs["pk"])

    @extend_schema(request=None, responses=CancellationSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """Take the slot back: pending offers are withdrawn and their patients told."""
        c = self.get_object()
        return self._act(services.cancellation_withdraw(cancellation_id=c.pk, actor=self.actor),
                         "Only an open or offering cancellation can be withdrawn.")

    @extend_schema(request=None, responses=CancellationSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        """No new waves (staff are on the phone); pending offers stay valid."""
        c = self.get_object()
        return self._act(services.cancellation_pause(cancellation_id=c.pk, actor=self.actor),
                         "Only an open or offering cancellation that is not paused can be paused.")

    @extend_schema(request=None, responses=CancellationSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        c = self.get_object()
        return self._act(services.cancellation_resume(cancellation_id=c.pk, actor=self.actor),
                         "Only a paused open or offering cancellation can be resumed.")

    @extend_schema(request=NoteSerializer, responses=CancellationSerializer)
    @action(detail=True, methods=["post"], url_path="mark-filled")
    def mark_filled(self, request, pk=None):
        """Staff filled the slot by phone: pending offers end and their patients are told."""
        c = self.get_object()
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._act(
            services.cancellation_mark_filled_by_phone(cancellation_id=c.pk, actor=self.actor,
                                                       note=body.validated_data["note"]),
            "Only an open or offering cancellation can be marked filled.",
        )

    @extend_schema(request=NextWaveSerializer, responses=CancellationSerializer)
    @action(detail=True, methods=["post"], url_path="next-wave")
    def next_wave(self, request, pk=None):
        """Send the next wave now, without waiting for the pending offers. Give `after_wave` (the
        `current_wave` you saw) so a retry cannot send a second wave."""
        c = self.get_object()
        body = NextWaveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.cancellation_next_wave_now(cancellation_id=c.pk, actor=self.actor,
                                                     after_wave=body.validated_data.get("after_wave"))
        if not result.startswith("wave"):
            raise Conflict(NEXT_WAVE_REFUSALS.get(result, f"No wave was started ({result})."))
        return self._respond(c.pk)

    @extend_schema(request=None, responses=CancellationSerializer)
    @action(detail=True, methods=["post"], url_path="ehr-booked")
    def ehr_booked(self, request, pk=None):
        """The new visit is booked in the EHR (first follow-up of a fill)."""
        c = self.get_object()
        return self._act(services.cancellation_ehr_tick(cancellation_id=c.pk, which="booked", actor=self.actor),
                         "Only a filled cancellation not yet ticked can be marked booked.")

    @extend_schema(request=None, responses=CancellationSerializer)
    @action(detail=True, methods=["post"], url_path="ehr-released")
    def ehr_released(self, request, pk=None):
        """The winner's old visit is released in the EHR (second follow-up of a fill)."""
        c = self.get_object()
        return self._act(services.cancellation_ehr_tick(cancellation_id=c.pk, which="released", actor=self.actor),
                         "Only a filled cancellation not yet ticked can be marked released.")


# --- offers and messages (read) ----------------------------------------------------------------------------


class OfferSerializer(serializers.ModelSerializer):
    class Meta:
        model = Offer
        fields = ["id", "cancellation", "patient", "entry", "status", "wave", "score", "score_breakdown",
                  "sent_at", "expires_at", "responded_at", "ended_at"]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(parameters=[
        id_param("cancellation", "Offers of this cancellation"), id_param("patient", "Offers made to this patient"),
        OpenApiParameter("status", OpenApiTypes.STR, enum=Offer.Status.values),
    ]),
)
class OfferViewSet(ApiView, viewsets.ReadOnlyModelViewSet):
    serializer_class = OfferSerializer
    lookup_value_regex = "[0-9]+"
    model_permission = "offers.offer"

    def get_queryset(self):
        qs = Offer.objects.order_by("pk")
        if self.action == "list":
            for name in ("cancellation", "patient"):
                value = query_id(self.request, name)
                if value is not None:
                    qs = qs.filter(**{f"{name}_id": value})
            state = query_choice(self.request, "status", Offer.Status.values)
            if state is not None:
                qs = qs.filter(status=state)
        return qs


class MessageSerializer(serializers.ModelSerializer):
    offer = serializers.IntegerField(source="offer_link.offer_id", read_only=True, allow_null=True,
                                     help_text="The offer this text belongs to, if any")
    status = serializers.CharField(read_only=True, help_text="Twilio's delivery status")

    class Meta:
        model = Message
        fields = ["id", "direction", "patient", "offer", "kind", "body", "send_state", "status", "provider_sid",
                  "error_code", "segments", "created_at", "sent_at"]
        read_only_fields = fields


DELIVERY_STATUSES = sorted(s for s in STATUS_RANK if s)


@extend_schema_view(
    list=extend_schema(parameters=[
        id_param("patient", "Texts to or from this patient"), id_param("offer", "Texts of this offer"),
        OpenApiParameter("direction", OpenApiTypes.STR, enum=Message.Direction.values),
        OpenApiParameter("status", OpenApiTypes.STR, enum=DELIVERY_STATUSES, description="Twilio delivery status"),
        OpenApiParameter("send_state", OpenApiTypes.STR, enum=Message.SendState.values),
    ]),
)
class MessageViewSet(ApiView, viewsets.ReadOnlyModelViewSet):
    """Every text in and out (read-only). Bodies are redacted after MESSAGE_BODY_RETENTION_DAYS."""

    serializer_class = MessageSerializer
    model_permission = "messaging.message"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        qs = Message.objects.select_related("offer_link").order_by("-created_at", "-id")
        if self.action == "list":
            patient = query_id(self.request, "patient")
            if patient is not None:
                qs = qs.filter(patient_id=patient)
            offer = query_id(self.request, "offer")
            if offer is not None:
                qs = qs.filter(offer_link__offer_id=offer)
            for name, choices in (("direction", Message.Direction.values), ("status", DELIVERY_STATUSES),
                                  ("send_state", Message.SendState.values)):
                value = query_choice(self.request, name, choices)
                if value is not None:
                    qs = qs.filter(**{name: value})
        return qs

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_access(actor=self.actor, what="api.messages", note=request.get_full_path()[:300])
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        audit_access(actor=self.actor, what="api.message", note=f"message {kwargs.get('pk')}")
        return response


# --- metrics -----------------------------------------------------------------------------------------------

MAX_METRICS_DAYS = 400


class MetricsQuerySerializer(serializers.Serializer):
    # "from" is a Python keyword: the field is renamed below
    from_ = InRangeDateField(required=False)
    to = InRangeDateField(required=False)
    provider = IdField(queryset=Provider.objects.all(), required=False)
    location = IdField(queryset=Location.objects.all(), required=False)
    appointment_type = AppointmentTypeField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs):
        tz = zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)
        today = now().astimezone(tz).date()
        end = attrs.get("to") or today
        start = attrs.get("from") or end - dt.timedelta(days=29)
        if start > end:
            raise serializers.ValidationError({"from": "The period starts after it ends."})
        if (end - start).days + 1 > MAX_METRICS_DAYS:
            raise serializers.ValidationError({"from": f"At most {MAX_METRICS_DAYS} days at a time."})
        attrs["start"] = dt.datetime.combine(start, dt.time(0), tzinfo=tz)
        attrs["end"] = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        return attrs


class MetricsView(ApiView, APIView):
    """The fill metrics of the admin metrics page, for a period (dates in the clinic's time zone,
    both ends included; default: the last 30 days), optionally for one provider, location or type."""

    pagination_class = None

    def required_permissions(self) -> list[str]:
        return ["offers.view_metrics"]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: 29 days before `to`)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, included (default: today)"),
            id_param("provider", "Only this provider's slots"), id_param("location", "Only slots at this location"),
            OpenApiParameter("appointment_type", OpenApiTypes.STR, description="Only slots of this type (code)"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        query = MetricsQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise exceptions.ValidationError(query.errors)
        q = query.validated_data
        return Response(fill_metrics(start=q["start"], end=q["end"], provider=q.get("provider"),
                                     location=q.get("location"), appointment_type=q.get("appointment_type")))
