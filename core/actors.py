"""Who did it. Every service that changes state takes an `actor` and records it in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    kind: str  # staff, api, patient, system
    label: str
    user_id: int | None = None

    STAFF = "staff"
    API = "api"
    PATIENT = "patient"
    SYSTEM = "system"

    @classmethod
    def staff(cls, user) -> Actor:
        return cls(cls.STAFF, user.get_username(), user.pk)

    @classmethod
    def api(cls, user) -> Actor:
        return cls(cls.API, user.get_username(), user.pk)

    @classmethod
    def for_user(cls, user, *, via_api: bool = False) -> Actor:
        return cls.api(user) if via_api else cls.staff(user)

    @classmethod
    def patient(cls, phone_e164: str) -> Actor:
        # Never the full number: the audit label is shown in admin lists and exports.
        return cls(cls.PATIENT, f"sms ***{phone_e164[-4:]}")

    @classmethod
    def system(cls, task: str) -> Actor:
        return cls(cls.SYSTEM, task)
