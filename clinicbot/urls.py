import os

from django.contrib import admin
from django.urls import include, path

from core import views as core_views

from . import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("webhooks/twilio/", include("messaging.urls")),
    path("account/verify/", core_views.otp_verify, name="otp_verify"),
    path("api/", include("clinicbot.api_urls")),
    path("admin/", admin.site.urls),
]

if os.environ.get("CLINICBOT_BENCH_ENDPOINTS") == "1":
    # benchmark floors only (bench/README.md); never set in production
    from . import bench_views

    urlpatterns.append(path("bench/one-row", bench_views.one_row, name="bench-one-row"))
