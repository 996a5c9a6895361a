from django.urls import path

from . import webhooks

app_name = "messaging"
urlpatterns = [
    path("inbound/", webhooks.inbound_webhook, name="inbound"),
    path("status/", webhooks.status_webhook, name="status"),
]
