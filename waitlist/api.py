"""The integration API, waitlist side, under /api/v1/: locations, providers, appointment types,
patients and waitlist entries (offers/api.py has cancellations, offers, messages and metrics).

Views parse and validate input, call one service, render. Every write runs as
`Actor.api(request.user)`, so the audit trail names the token's user. The contract (field names,
status codes, upserts by `external_id`) is documented in docs/API.md."""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import (
    exceptions,
    pagination,
    parsers,
    permissions,
    renderers,
    serializers,
    status,
    viewsets,
)
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from clinicbot.clock import now
from core.actors import Actor
from core.services import audit_access
from messaging.phones import normalize_phone

from . import services
from .models import AppointmentType, Location, Patient, Provider, ProviderKind, WaitlistEntry
from .validators import OUT_OF_RANGE, in_range

# --- plumbing shared by every API view (offers/api.py builds on it) --------------------------------------

MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 16
MAX_ID = 2**63 - 1


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the record's current state."
    default_code = "conflict"


class StrictJSONParser(parsers.JSONParser):
    """JSON only, bounded in size and depth, and valid Unicode: text that cannot be stored (a lone
    surrogate, a NUL) or a body nested thousands deep is a 400, not a 500 further down."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_BODY_BYTES:
            raise exceptions.ParseError(f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB.")
        encoding = parsers.get_encoding(parser_context or {})
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {str(exc)[:200]}")
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.")
        _check_value(data, 0)
        return data


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _check_value(value, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise exceptions.ParseError("JSON parse error - nested too deeply.")
    if isinstance(value, str):
        if "\x00" in value:
            # PostgreSQL cannot store NUL in text, and lookups with it fail before validation runs
            raise exceptions.ParseError("JSON parse error - text may not contain NUL characters.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise exceptions.ParseError("JSON parse error - a string is not valid Unicode.")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(key, depth + 1)
            _check_value(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1)


def api_exception_handler(exc, context):
    """Service errors keep their meaning on the wire: a Django ValidationError is a 400 with field
    reasons, a constraint that lost a race is a 409, an unknown object a 404."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))
    elif isinstance(exc, IntegrityError):
        exc = Conflict("This conflicts with a record stored meanwhile (for example the same external_id); fetch it and retry.")
    elif isinstance(exc, ObjectDoesNotExist | Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


VERB_FOR_ACTION = {"list": "view", "retrieve": "view", "metadata": "view", "create": "add",
                   "update": "change", "partial_update": "change"}


class RolePermission(permissions.BasePermission):
    """The roles from `setup_roles` (Front desk, Manager, Integration) are Django permissions; each
    view says which it needs per action. No token: 401 (DRF); a token without the permission: 403."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return user.has_perms(view.required_permissions())


class ApiView:
    """Mixin for every API view: JSON in and out, role permissions, service errors mapped."""

    permission_classes = [RolePermission]
    parser_classes = [StrictJSONParser]
    renderer_classes = [renderers.JSONRenderer]
    pagination_class = Pagination
    model_permission = ""  # "app.model"
    action_permissions: dict[str, list[str]] = {}

    def required_permissions(self) -> list[str]:
        name = getattr(self, "action", None) or ""
        if not name and hasattr(self, "action_map"):
            return []  # a method this endpoint does not offer: the handler answers 405
        if name in self.action_permissions:
            return self.action_permissions[name]
        app, model = self.model_permission.split(".")
        return [f"{app}.{VERB_FOR_ACTION.get(name, 'change')}_{model}"]

    def get_exception_handler(self):
        return api_exception_handler

    @property
    def actor(self) -> Actor:
        return Actor.api(self.request.user)


def query_id(request, name: str) -> int | None:
    """An id filter from the query string; a malformed one is a 400 naming the parameter."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise exceptions.ValidationError({name: [f"Expected a numeric id, got {raw[:40]!r}."]})
    return int(raw)


def query_choice(request, name: str, choices) -> str | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise exceptions.ValidationError({name: [f"Expected one of {', '.join(choices)}."]})
    return raw


def query_bool(request, name: str) -> bool | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise exceptions.ValidationError({name: ["Expected true or false."]})


def query_text(request, name: str, max_length: int = 64) -> str | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > max_length or "\x00" in raw:
        raise exceptions.ValidationError({name: [f"At most {max_length} characters."]})
    return raw


def id_param(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.INT, description=description)


EXTERNAL_ID_PARAM = OpenApiParameter("external_id", OpenApiTypes.STR, description="Only the record with this external id")


def changed(instance, fields: dict, m2m: dict | None = None) -> bool:
    """Whether saving these values would change anything (a repeated push is not a change)."""

    def norm(value):
        if hasattr(value, "pk"):
            return value.pk
        if value == "":
            return None
        return value

    for key, value in fields.items():
        if norm(getattr(instance, key)) != norm(value):
            return True
    for key, values in (m2m or {}).items():
        if values is None:
            continue
        if {v.pk for v in values} != set(getattr(instance, key).values_list("pk", flat=True)):
            return True
    return False


# --- fields ---------------------------------------------------------------------------------------------


class IdField(serializers.PrimaryKeyRelatedField):
    """An id: an integer (or its digits), nothing else (not 1.5, not true)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if isinstance(data, str):
            if not (data.isascii() and data.isdigit() and len(data) <= 19):
                self.fail("incorrect_type", data_type="str")
            data = int(data)
        if not 1 <= data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with its UTC offset: a time without one is ambiguous across locations, so refused."""

    default_error_messages = {
        "naive": "Give the time with its UTC offset, e.g. 2026-11-26T14:30:00-06:00.",
        "overflow": OUT_OF_RANGE,
        "out_of_range": OUT_OF_RANGE,
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        elif not isinstance(value, dt.datetime):
            self.fail("invalid", format="ISO 8601 with offset")
        value = super().to_internal_value(value)
        if not in_range(value):
            self.fail("out_of_range")
        return value


class InRangeDateField(serializers.DateField):
    """A calendar date (YYYY-MM-DD) in the years clinicbot accepts."""

    default_error_messages = {"out_of_range": OUT_OF_RANGE}

    def to_internal_value(self, value):
        value = super().to_internal_value(value)
        if not in_range(value):
            self.fail("out_of_range")
        return value


class LocalTimeField(serializers.TimeField):
    """Local wall-clock time `HH:MM` (the location's time of day)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="HH:MM")
        return super().to_internal_value(value)


class AppointmentTypeField(serializers.SlugRelatedField):
    """An appointment type by its code (e.g. `follow-up`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", AppointmentType.objects.all())
        super().__init__(slug_field="code", **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 40 or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field({"type": "array", "items": {"type": "string", "enum": ProviderKind.values}})
class ProviderKindsField(serializers.ListField):
    def __init__(self, **kwargs):
        super().__init__(child=serializers.ChoiceField(choices=ProviderKind.values), max_length=len(ProviderKind.values) * 2,
                         **kwargs)

    def get_attribute(self, instance):
        return services.mask_to_kinds(instance.provider_kinds_mask)


@extend_schema_field({"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}})
class WeekdaysField(serializers.ListField):
    def __init__(self, **kwargs):
        super().__init__(child=serializers.IntegerField(min_value=0, max_value=6), max_length=14, **kwargs)

    def get_attribute(self, instance):
        return services.mask_to_weekdays(instance.weekdays_mask)


class FromPhone:
    """Consent belongs to the number: these patient fields read from it."""

    def get_attribute(self, instance):
        return getattr(instance.phone, self.source_attrs[-1] if self.source_attrs else self.field_name)


class PhoneField(FromPhone, serializers.CharField):
    def get_attribute(self, instance):
        return instance.phone.e164

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        value = super().to_internal_value(data)
        try:
            return normalize_phone(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages)


class PhoneChoiceField(FromPhone, serializers.ChoiceField):
    pass


class PhoneDateTimeField(FromPhone, AwareDateTimeField):
    pass


class PhoneBoolField(serializers.BooleanField):
    def __init__(self, attribute, **kwargs):
        self._attribute = attribute
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance):
        return self._attribute(instance.phone)


# --- locations, providers, appointment types -----------------------------------------------------------


class LocationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Location
        fields = ["id", "name", "sms_name", "time_zone", "address", "arrival_note", "arrival_note_es", "cutoff_minutes",
                  "discreet", "external_id"]
        extra_kwargs = {"cutoff_minutes": {"max_value": 7 * 24 * 60}}


class ProviderSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ProviderKind.values)
    locations = IdField(queryset=Location.objects.all(), many=True, required=False)
    appointment_types = AppointmentTypeField(many=True, required=False,
                                             help_text="Codes; omitted on create: the default type only")

    class Meta:
        model = Provider
        fields = ["id", "name", "sms_name", "kind", "locations", "appointment_types", "active", "external_id"]


class AppointmentTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = AppointmentType
        fields = ["id", "code", "name", "default_minutes"]
        extra_kwargs = {"default_minutes": {"min_value": 1, "max_value": 600}}


class UpsertViewSet(ApiView, viewsets.ModelViewSet):
    """List, read, create and change; POST with a known natural key (external_id) updates that
    record (200) instead of creating one (201). No DELETE: records are deactivated, not removed."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    natural_key = "external_id"
    lookup_value_regex = "[0-9]+"

    def lookup_existing(self, data):
        if not isinstance(data, dict):
            return None
        key = data.get(self.natural_key)
        if isinstance(key, int | float) and not isinstance(key, bool):
            # the serializer's CharField stores a JSON number as its text: the retry must find it
            key = str(key)
        if not isinstance(key, str) or not key.strip() or len(key) > 64:
            return None
        return self.get_queryset().filter(**{self.natural_key: key.strip()}).first()

    def save(self, validated: dict, instance) -> tuple[object, bool]:
        raise NotImplementedError

    def _write(self, request, instance, *, partial: bool) -> Response:
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        obj, created = self.save(dict(serializer.validated_data), instance)
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def create(self, request, *args, **kwargs):
        existing = self.lookup_existing(request.data)
        if existing is None:
            try:
                return self._write(request, None, partial=False)
            except (IntegrityError, exceptions.ValidationError, DjangoValidationError):
                # the same record pushed twice at once: the other push created it (our create hit
                # the unique constraint, or validation saw it taken), so this push is an update
                existing = self.lookup_existing(request.data)
                if existing is None:
                    raise
        app, model = self.model_permission.split(".")
        if not request.user.has_perm(f"{app}.change_{model}"):
            raise exceptions.PermissionDenied("Updating an existing record needs the change permission.")
        return self._write(request, existing, partial=False)

    def update(self, request, *args, **kwargs):
        return self._write(request, self.get_object(), partial=kwargs.get("partial", False))

    def filter_external_id(self, qs):
        value = query_text(self.request, self.natural_key)
        return qs.filter(**{self.natural_key: value}) if value is not None else qs


@extend_schema_view(list=extend_schema(parameters=[EXTERNAL_ID_PARAM]))
class LocationViewSet(UpsertViewSet):
    serializer_class = LocationSerializer
    model_permission = "waitlist.location"

    def get_queryset(self):
        qs = Location.objects.order_by("pk")
        return self.filter_external_id(qs) if self.action == "list" else qs

    def save(self, validated, instance):
        if instance is not None and not changed(instance, validated):
            return instance, False
        return services.location_save(actor=self.actor, location=instance, **validated)


@extend_schema_view(list=extend_schema(parameters=[EXTERNAL_ID_PARAM]))
class ProviderViewSet(UpsertViewSet):
    serializer_class = ProviderSerializer
    model_permission = "waitlist.provider"

    def get_queryset(self):
        qs = Provider.objects.order_by("pk").prefetch_related("locations", "appointment_types")
        return self.filter_external_id(qs) if self.action == "list" else qs

    def save(self, validated, instance):
        locations = validated.pop("locations", None)
        types = validated.pop("appointment_types", None)
        if instance is None and types is None:
            types = [services.appointment_type_default()]
        if instance is not None and not changed(instance, validated, {"locations": locations, "appointment_types": types}):
            return instance, False
        return services.provider_save(actor=self.actor, provider=instance, locations=locations,
                                      appointment_types=types, **validated)


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("code", OpenApiTypes.STR)]))
class AppointmentTypeViewSet(UpsertViewSet):
    serializer_class = AppointmentTypeSerializer
    model_permission = "waitlist.appointmenttype"
    natural_key = "code"

    def get_queryset(self):
        qs = AppointmentType.objects.order_by("pk")
        return self.filter_external_id(qs) if self.action == "list" else qs

    def save(self, validated, instance):
        if instance is not None and not changed(instance, validated):
            return instance, False
        return services.appointment_type_save(actor=self.actor, appointment_type=instance, **validated)


# --- patients --------------------------------------------------------------------------------------------

CONSENT_SOURCES = ["written", "verbal", "portal", "sms"]


class PatientSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    first_name = serializers.CharField(max_length=80)
    last_name = serializers.CharField(max_length=80)
    phone = PhoneField(max_length=40, help_text="E.164 (other forms are normalised); may be shared by patients")
    # no serializer default: DRF would put it in every full write and overwrite the stored value of a
    # field the sender left out; a new patient gets `self` / `en` in `patient_apply`
    relationship = serializers.ChoiceField(choices=Patient.Relationship.values, required=False,
                                           help_text="Omitted: kept, or `self` for a new patient")
    language = serializers.ChoiceField(choices=Patient.Language.values, required=False,
                                       help_text="Omitted: kept, or `en` for a new patient")
    consent_source = PhoneChoiceField(choices=CONSENT_SOURCES, required=False, allow_blank=True,
                                      help_text="How SMS consent was given; recorded once per number")
    consent_at = PhoneDateTimeField(required=False, allow_null=True)
    external_id = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)
    sms_consent = PhoneBoolField(lambda phone: phone.consent_at is not None)
    sms_opted_out = PhoneBoolField(lambda phone: phone.opted_out)

    def validate_consent_at(self, value):
        if value is not None and value > now() + dt.timedelta(minutes=5):
            raise serializers.ValidationError("Consent cannot be recorded in the future.")
        return value

    def validate_external_id(self, value):
        value = (value or "").strip() or None
        if value is not None:
            clash = Patient.objects.filter(external_id=value)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError("Another patient has this external_id.")
        return value


@extend_schema_view(
    list=extend_schema(parameters=[EXTERNAL_ID_PARAM, OpenApiParameter("phone", OpenApiTypes.STR,
                                                                        description="Patients sharing this number")]),
)
class PatientViewSet(UpsertViewSet):
    serializer_class = PatientSerializer
    model_permission = "waitlist.patient"

    def get_queryset(self):
        qs = Patient.objects.order_by("pk").select_related("phone")
        if self.action == "list":
            qs = self.filter_external_id(qs)
            phone = query_text(self.request, "phone", 40)
            if phone is not None:
                try:
                    qs = qs.filter(phone__e164=normalize_phone(phone))
                except DjangoValidationError as exc:
                    raise exceptions.ValidationError({"phone": exc.messages})
        return qs

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_access(actor=self.actor, what="api.patients", note=request.get_full_path()[:300])
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        audit_access(actor=self.actor, what="api.patient", note=f"patient {kwargs.get('pk')}")
        return response

    def save(self, validated, instance):
        obj, outcome = patient_apply(actor=self.actor, validated=validated, instance=instance)
        if outcome == "unchanged":
            # nothing changed, so no change record names the caller, yet the answer is the whole
            # patient (an empty PATCH walked over the ids would read the list unrecorded)
            audit_access(actor=self.actor, what="api.patient", note=f"patient {obj.pk} (push, unchanged)")
        return obj, outcome == "created"


def patient_apply(
    *, actor: Actor, validated: dict, instance: Patient | None, consent_event_source: str | None = None
) -> tuple[Patient, str]:
    """Save validated patient values (API or import): 'created', 'updated' or 'unchanged'.
    `consent_event_source`: see `services.patient_upsert` (an import passes "import")."""
    if instance is not None:
        merged = {
            "first_name": instance.first_name, "last_name": instance.last_name, "phone": instance.phone.e164,
            "relationship": instance.relationship, "language": instance.language,
            "external_id": instance.external_id, **validated,
        }
        phone_changes = merged["phone"] != instance.phone.e164
        consent_news = merged.get("consent_source") and instance.phone.consent_at is None
        if consent_news and instance.phone.wrong_number_flagged:
            # only staff's own consent is taken for a reported wrong number: the EHR's (an import,
            # the API) would be refused, so it is no news, and no empty update is recorded nightly
            source = consent_event_source or ("import" if actor.kind == Actor.API else "staff")
            consent_news = source == "staff"
        fields = {k: merged[k] for k in ("first_name", "last_name", "relationship", "language", "external_id")}
        if not phone_changes and not consent_news and not changed(instance, fields):
            return instance, "unchanged"
        validated = merged
    patient, created = services.patient_upsert(
        actor=actor,
        patient=instance,
        first_name=validated["first_name"],
        last_name=validated["last_name"],
        phone=validated["phone"],
        relationship=validated.get("relationship", Patient.Relationship.SELF),
        language=validated.get("language", Patient.Language.EN),
        consent_source=validated.get("consent_source") or "",
        consent_at=validated.get("consent_at"),
        external_id=validated.get("external_id"),
        consent_event_source=consent_event_source,
    )
    return patient, "created" if created else "updated"


# --- waitlist entries ------------------------------------------------------------------------------------


class WaitlistEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    patient = IdField(queryset=Patient.objects.all())
    appointment_type = AppointmentTypeField(required=False, help_text="Code; omitted: DEFAULT_APPOINTMENT_TYPE")
    visit_minutes = serializers.IntegerField(min_value=1, max_value=600, required=False, allow_null=True,
                                             help_text="Omitted or null: any slot length fits")
    urgent = serializers.BooleanField(required=False)
    manual_boost = serializers.IntegerField(min_value=0, max_value=40, required=False)
    boost_reason = serializers.CharField(max_length=200, required=False, allow_blank=True)
    current_appointment_at = AwareDateTimeField(required=False, allow_null=True,
                                                help_text="ISO 8601 with offset; null: no appointment yet")
    current_appointment_provider = IdField(queryset=Provider.objects.all(), required=False, allow_null=True)
    current_appointment_location = IdField(queryset=Location.objects.all(), required=False, allow_null=True)
    ready_from = InRangeDateField(required=False, allow_null=True)
    providers = IdField(queryset=Provider.objects.all(), many=True, required=False)
    provider_kinds = ProviderKindsField(required=False)
    locations = IdField(queryset=Location.objects.all(), many=True, required=False)
    weekdays = WeekdaysField(required=False, help_text="0 = Monday ... 6 = Sunday; empty: any day")
    earliest_time = LocalTimeField(required=False, allow_null=True)
    latest_time = LocalTimeField(required=False, allow_null=True)
    min_notice_hours = serializers.IntegerField(min_value=0, max_value=24 * 60, required=False)
    joined_at = AwareDateTimeField(required=False, help_text="When the patient joined (imports); default now")
    external_id = serializers.CharField(max_length=64, required=False, allow_null=True, allow_blank=True)
    active = serializers.BooleanField(read_only=True)
    inactive_reason = serializers.CharField(read_only=True)
    priority = serializers.IntegerField(read_only=True)
    priority_breakdown = serializers.JSONField(read_only=True)

    def _current(self, attrs, name, default=None):
        if name in attrs:
            return attrs[name]
        if self.instance is not None:
            if name in ("providers", "locations"):
                return list(getattr(self.instance, name).all())
            if name == "provider_kinds":
                return services.mask_to_kinds(self.instance.provider_kinds_mask)
            return getattr(self.instance, name)
        return default

    def validate_external_id(self, value):
        value = (value or "").strip() or None
        if value is not None:
            clash = WaitlistEntry.objects.filter(external_id=value)
            if self.instance is not None:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                raise serializers.ValidationError("Another waitlist entry has this external_id.")
        return value

    def validate_joined_at(self, value):
        if value > now() + dt.timedelta(minutes=5):
            raise serializers.ValidationError("joined_at cannot be in the future.")
        return value

    def _changes(self, attrs, name) -> bool:
        """Whether this write sets `name` to something other than what is stored."""
        if name not in attrs:
            return False
        if self.instance is None:
            return True
        if name in ("providers", "locations"):
            return {o.pk for o in attrs[name] or []} != set(getattr(self.instance, name).values_list("pk", flat=True))
        return attrs[name] != getattr(self.instance, name)

    def validate(self, attrs):
        errors: dict[str, str] = {}
        earliest, latest = self._current(attrs, "earliest_time"), self._current(attrs, "latest_time")
        if earliest and latest and earliest > latest:
            errors["latest_time"] = "The latest time must not be before the earliest time."
        boost = self._current(attrs, "manual_boost", 0)
        if boost and not (self._current(attrs, "boost_reason", "") or "").strip():
            errors["boost_reason"] = "Say why this patient is boosted (a boost needs a reason)."
        if self.instance is None and "appointment_type" not in attrs:
            attrs["appointment_type"] = services.appointment_type_default()
        # Only what this write changes is checked against the rest: stored preferences that went
        # stale (a provider who left, or stopped taking a type) must not block an unrelated change.
        if any(self._changes(attrs, name) for name in ("providers", "appointment_type", "locations")):
            atype = self._current(attrs, "appointment_type")
            locations = self._current(attrs, "locations", []) or []
            kept = set() if self.instance is None else {p.pk for p in self.instance.providers.all()}
            for provider in self._current(attrs, "providers", []) or []:
                if not provider.active:
                    if provider.pk not in kept:
                        errors["providers"] = f"{provider} (id {provider.pk}) is not active."
                elif atype is not None and not provider.appointment_types.filter(pk=atype.pk).exists():
                    errors["providers"] = f"{provider} (id {provider.pk}) does not take {atype.code} visits."
                elif locations and not provider.locations.filter(pk__in=[loc.pk for loc in locations]).exists():
                    errors["providers"] = f"{provider} (id {provider.pk}) works at none of the chosen locations."
                if "providers" in errors:
                    break
        if self._changes(attrs, "current_appointment_provider") or self._changes(attrs, "current_appointment_location"):
            cur_provider = self._current(attrs, "current_appointment_provider")
            cur_location = self._current(attrs, "current_appointment_location")
            if cur_provider and cur_location and not cur_provider.locations.filter(pk=cur_location.pk).exists():
                errors["current_appointment_location"] = f"{cur_provider} does not work at {cur_location}."
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


def entry_fields(validated: dict) -> tuple[dict, dict]:
    """API values to the service's fields (kinds and weekdays are stored as bit masks)."""
    fields = dict(validated)
    m2m = {"providers": fields.pop("providers", None), "locations": fields.pop("locations", None)}
    fields.pop("patient", None)
    if "provider_kinds" in fields:
        fields["provider_kinds_mask"] = services.kinds_to_mask(fields.pop("provider_kinds"))
    if "weekdays" in fields:
        fields["weekdays_mask"] = services.weekdays_to_mask(fields.pop("weekdays"))
    return fields, m2m


def entry_apply(*, actor: Actor, validated: dict, instance: WaitlistEntry | None) -> tuple[WaitlistEntry, str]:
    """Save validated entry values (API or import): 'created', 'updated' or 'unchanged'."""
    patient = validated.get("patient") or instance.patient
    fields, m2m = entry_fields(validated)
    if instance is not None and patient.pk == instance.patient_id and not changed(instance, fields, m2m):
        return instance, "unchanged"
    entry, created = services.entry_save(actor=actor, patient=patient, entry=instance, **m2m, **fields)
    return entry, "created" if created else "updated"


class BoostSerializer(serializers.Serializer):
    amount = serializers.IntegerField(min_value=0, max_value=40)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DeactivateSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=[WaitlistEntry.InactiveReason.REMOVED, WaitlistEntry.InactiveReason.DISCHARGED],
        default=WaitlistEntry.InactiveReason.REMOVED,
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(parameters=[
        EXTERNAL_ID_PARAM, id_param("patient", "Entries of this patient"),
        OpenApiParameter("active", OpenApiTypes.BOOL), OpenApiParameter("appointment_type", OpenApiTypes.STR),
    ]),
)
class WaitlistEntryViewSet(UpsertViewSet):
    serializer_class = WaitlistEntrySerializer
    model_permission = "waitlist.waitlistentry"
    change = ["waitlist.change_waitlistentry"]
    action_permissions = {"boost": change, "deactivate": change, "reactivate": change}

    def get_queryset(self):
        qs = (
            WaitlistEntry.objects.order_by("pk")
            .select_related("appointment_type")
            .prefetch_related("providers", "locations")
        )
        if self.action == "list":
            qs = self.filter_external_id(qs)
            patient = query_id(self.request, "patient")
            if patient is not None:
                qs = qs.filter(patient_id=patient)
            active = query_bool(self.request, "active")
            if active is not None:
                qs = qs.filter(active=active)
            code = query_text(self.request, "appointment_type", 40)
            if code is not None:
                qs = qs.filter(appointment_type__code=code)
        return qs

    def save(self, validated, instance):
        obj, outcome = entry_apply(actor=self.actor, validated=validated, instance=instance)
        return obj, outcome == "created"

    def _entry_response(self, entry_id: int) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=entry_id)).data)

    @extend_schema(request=BoostSerializer, responses=WaitlistEntrySerializer)
    @action(detail=True, methods=["post"])
    def boost(self, request, pk=None):
        """Raise (or clear, with 0) this entry's manual boost; a boost needs a reason."""
        entry = self.get_object()
        body = BoostSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.entry_boost(entry_id=entry.pk, amount=body.validated_data["amount"],
                             reason=body.validated_data["reason"], actor=self.actor)
        return self._entry_response(entry.pk)

    @extend_schema(request=DeactivateSerializer, responses=WaitlistEntrySerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        """Take the entry off the list (`removed`, or `discharged` as the nightly sync does)."""
        entry = self.get_object()
        body = DeactivateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not services.entry_deactivate(entry_id=entry.pk, reason=body.validated_data["reason"], actor=self.actor,
                                         note=body.validated_data["note"]):
            raise Conflict("This entry is already inactive.")
        return self._entry_response(entry.pk)

    @extend_schema(request=None, responses=WaitlistEntrySerializer)
    @action(detail=True, methods=["post"])
    def reactivate(self, request, pk=None):
        """Put an inactive entry back on the list (not one that was fulfilled)."""
        entry = self.get_object()
        if not services.entry_reactivate(entry_id=entry.pk, actor=self.actor):
            raise Conflict("Only an inactive entry that was not fulfilled can be reactivated.")
        return self._entry_response(entry.pk)

