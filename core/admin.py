"""Audit trail in the staff console (read-only, managers), and the mixin every plain admin uses so a
write the console makes without a dedicated service still leaves an audit record naming the person."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from knox.models import AuthToken

from core.actors import Actor
from core.services import audit_record, snapshot, snapshot_m2m

from .models import AuditEvent, Heartbeat


class AuditedAdminMixin:
    """For reference data with no service of its own (locations, providers, types, closures): the
    save itself is Django's, the audit record is written in the same transaction (ModelAdmin wraps
    change views in `atomic`).

    Django saves many-to-many links (a provider's locations and visit types) in `save_related`,
    after `save_model`: the record is written there, once the links are saved, or a provider moved
    to another location would be recorded as a change of nothing."""

    # fields never copied into the trail (a user's password hash)
    audit_exclude: tuple[str, ...] = ()

    def _audit_snapshot(self, obj) -> dict:
        return {k: v for k, v in {**snapshot(obj), **snapshot_m2m(obj)}.items() if k not in self.audit_exclude}

    def save_model(self, request, obj, form, change):
        before = None
        if change and obj.pk:
            old = type(obj).objects.filter(pk=obj.pk).first()
            before = self._audit_snapshot(old) if old is not None else None
        super().save_model(request, obj, form, change)
        obj._audit_before = (change, before)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, [], change)
        obj = form.instance
        if "_audit_before" in obj.__dict__:
            was_change, before = obj.__dict__.pop("_audit_before")
            audit_record(
                actor=Actor.staff(request.user),
                action=f"{obj._meta.model_name}.{'update' if was_change else 'create'}",
                obj=obj,
                before=before,
                after=self._audit_snapshot(obj),
            )
        # inlines (a location's closures) are saved, and recorded, after their parent: the trail reads
        # in the order the change was made
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit_record(actor=Actor.staff(request.user), action=f"{obj._meta.model_name}.delete", obj=obj,
                         before=self._audit_snapshot(obj), after={})
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        actor = Actor.staff(request.user)
        before = {}
        for inline_form in formset.initial_forms:
            obj = inline_form.instance
            if not obj.pk:
                continue
            if formset.can_delete and inline_form.cleaned_data.get("DELETE"):
                # recorded now: after the delete the row (and its pk) is gone
                audit_record(actor=actor, action=f"{obj._meta.model_name}.delete", obj=obj,
                             before=snapshot(type(obj).objects.get(pk=obj.pk)), after={})
            elif inline_form.has_changed():
                before[obj.pk] = snapshot(type(obj).objects.get(pk=obj.pk))
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            audit_record(actor=actor, action=f"{obj._meta.model_name}.create", obj=obj, after=snapshot(obj))
        for obj, _fields in formset.changed_objects:
            audit_record(actor=actor, action=f"{obj._meta.model_name}.update", obj=obj,
                         before=before.get(obj.pk), after=snapshot(obj))


class ReadOnlyAdminMixin:
    """Nobody adds, changes or deletes these rows through the console, superusers included."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "kind", "actor_kind", "actor_label", "action", "object_type", "object_id", "note")
    list_filter = ("kind", "actor_kind", ("at", admin.DateFieldListFilter), "object_type")
    search_fields = ("action", "actor_label", "object_type", "=object_id", "note")
    date_hierarchy = "at"
    list_per_page = 100
    fields = ("at", "kind", "actor_kind", "actor_label", "actor_user", "action", "object_type", "object_id",
              "before", "after", "note")
    readonly_fields = fields
    show_full_result_count = False


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "beat_at", "period_seconds")


# API keys: issued, rotated and revoked only by `manage.py create_api_token` (audited, and the key is
# shown once). knox's own admin would let a superuser add or delete keys with no audit record.
admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class ApiKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "token_key", "created")
    fields = ("user", "token_key", "created", "expiry")
    readonly_fields = fields
    search_fields = ("user__username",)


# Staff accounts and roles: who may do what is itself a change the trail must show (a front desk
# group given the export right, a user made a manager). Django's stock admins, audited.
User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AuditedUserAdmin(AuditedAdminMixin, UserAdmin):
    audit_exclude = ("password",)

    def user_change_password(self, request, id, form_url=""):
        # Django's password page saves outside save_model: recorded here, in the same transaction,
        # as the fact of the change only (never the hash)
        with transaction.atomic():
            user = self.get_object(request, unquote(id))
            before = user.password if user is not None else None
            response = super().user_change_password(request, id, form_url)
            if user is not None and request.method == "POST":
                user.refresh_from_db(fields=["password"])
                if user.password != before:
                    audit_record(actor=Actor.staff(request.user), action="user.password", obj=user,
                                 note="password set" if user.has_usable_password() else "password login disabled")
        return response


@admin.register(Group)
class AuditedGroupAdmin(AuditedAdminMixin, GroupAdmin):
    pass
