"""The integration API: /api/v1/ (token-authenticated), its OpenAPI schema at /api/schema/ and the
browsable docs at /api/docs/ (Swagger UI from drf-spectacular-sidecar, no CDN). See docs/API.md."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter

from offers.api import CancellationViewSet, MessageViewSet, MetricsView, OfferViewSet
from waitlist.api import (
    AppointmentTypeViewSet,
    LocationViewSet,
    PatientViewSet,
    ProviderViewSet,
    WaitlistEntryViewSet,
)

router = SimpleRouter()
router.register("locations", LocationViewSet, basename="location")
router.register("providers", ProviderViewSet, basename="provider")
router.register("appointment-types", AppointmentTypeViewSet, basename="appointment-type")
router.register("patients", PatientViewSet, basename="patient")
router.register("waitlist", WaitlistEntryViewSet, basename="waitlist")
router.register("cancellations", CancellationViewSet, basename="cancellation")
router.register("offers", OfferViewSet, basename="offer")
router.register("messages", MessageViewSet, basename="message")


def api_v1_only(endpoints):
    """Schema preprocessing hook: only the integration API (not the Twilio webhooks)."""
    return [e for e in endpoints if e[0].startswith("/api/v1/")]


ERRORS = {
    "400": "Invalid input: field name -> list of reasons (non_field_errors for the whole body)",
    "401": "No token, or an unknown or revoked one",
    "403": "The token's user lacks the role for this",
    "404": "No such record (or page)",
    "405": "Method not offered here",
    "409": "Conflicts with the record's state (e.g. an offering slot's time)",
    "415": "The body is not JSON",
}


def document_errors(result, generator, request, public):
    """Schema postprocessing hook: every operation may answer with the documented error bodies."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = {
        "type": "object",
        "description": "`detail` for most errors; field name -> list of reasons for a 400",
        "properties": {"detail": {"type": "string"}},
        "additionalProperties": True,
    }
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            created = operation["responses"].get("201")
            if method == "post" and created:
                # an upsert: a known external_id (or code) updates that record
                operation["responses"]["200"] = {**created, "description": "Updated the record with this external_id"}
            for code, text in ERRORS.items():
                operation["responses"].setdefault(code, {"description": text, **ref})
    return result


SCHEMA_SETTINGS = {
    "PREPROCESSING_HOOKS": ["clinicbot.api_urls.api_v1_only"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "clinicbot.api_urls.document_errors"],
    # provider `kind` and waitlist `provider_kinds` share one enum
    "ENUM_NAME_OVERRIDES": {"ProviderKindEnum": "waitlist.models.ProviderKind.values"},
}



def api_not_found(request, rest=""):
    """An integrator's client parses JSON: an unknown path or a malformed id (ids are numbers) is a
    JSON 404 with a reason, never Django's HTML page."""
    return JsonResponse(
        {"detail": "Not found: no such endpoint, or the id in the path is not a number. See /api/docs/."},
        status=404,
    )


v1 = [
    *router.urls,
    path("metrics/", MetricsView.as_view(), name="metrics"),
    re_path(r"^(?P<rest>.*)$", api_not_found),
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="api")),
    path(
        "schema/",
        SpectacularAPIView.as_view(
            permission_classes=[AllowAny],
            authentication_classes=[],
            custom_settings=SCHEMA_SETTINGS,
        ),
        name="api-schema",
    ),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[AllowAny],
                                                      authentication_classes=[]), name="api-docs"),
]
