from django.urls import path

from . import webhooks

app_name = "messaging"
urlpatterns = [
    path("inbound/", webhooks.InboundWebhook.as_view(), name="inbound"),
    path("status/", webhooks.StatusWebhook.as_view(), name="status"),
]
