"""The staff API of an appointment's money (docs/api.md, "Payments"): what it stands at,
recording a payment or refund taken at the desk, and waiving a fee. An appointment off the
caller's day sheet is a 404; a role without the capability is a 403 (money/services.py)."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from clinic import audit
from clinic.audit import Origin
from money import services
from money.errors import PaymentRefused
from money.selectors import appointment_account
from web.api.errors import ERRORS_400, ERRORS_403, ERRORS_404, ErrorOutput
from workspace.api import serializers as ss
from workspace.api.views import StaffApi, _staff_appointment


def account_data(appointment) -> dict:
    account = appointment_account(appointment)
    charge = account.charge
    return {
        "reference": appointment.reference,
        "currency": account.currency,
        "price": None if account.price is None else str(account.price),
        "discount": str(account.discount),
        "paid": str(account.paid),
        "outstanding": str(account.outstanding),
        "outstanding_is": str(account.outstanding_is),
        "refund_due": str(account.refund_due),
        "refund_to_card": str(account.refund_to_card),
        "refund_at_desk": str(account.refund_at_desk),
        "balance_at_visit": str(account.balance_at_visit),
        "charge": None
        if charge is None
        else {
            "kind": charge.kind,
            "amount": str(charge.amount),
            "currency": charge.currency,
            "waived": charge.is_waived,
            "waived_at": charge.waived_at,
            "waive_reason": charge.waive_reason,
        },
        "payments": [
            {
                "id": p.pk,
                "amount": str(p.amount),
                "currency": p.currency,
                "kind": p.kind,
                "method": p.method,
                "note": p.note,
                "recorded_by": p.recorded_by.get_username() if p.recorded_by else None,
                "recorded_at": p.recorded_at,
            }
            for p in account.payments
        ],
    }


class AppointmentPaymentsApi(StaffApi):
    @extend_schema(responses={200: ss.AccountOutput, 403: ERRORS_403, 404: ERRORS_404})
    def get(self, request, reference):
        appointment = _staff_appointment(request, reference)
        return Response(account_data(appointment))

    @extend_schema(
        request=ss.PaymentInput,
        responses={201: ss.AccountOutput, 400: ERRORS_400, 403: ERRORS_403, 404: ERRORS_404},
    )
    def post(self, request, reference):
        appointment = _staff_appointment(request, reference)
        body = ss.PaymentInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        services.payment_record(
            appointment=appointment,
            amount=data["amount"],
            kind=data["kind"],
            method=data["method"],
            note=data.get("note", ""),
            by=request.user,
        )
        return Response(account_data(appointment), status=status.HTTP_201_CREATED)


class FeeWaiveApi(StaffApi):
    @extend_schema(
        request=ss.WaiveInput,
        responses={
            200: ss.AccountOutput,
            400: ERRORS_400,
            403: ERRORS_403,
            404: ERRORS_404,
            409: ErrorOutput,
        },
    )
    def post(self, request, reference):
        appointment = _staff_appointment(request, reference)
        body = ss.WaiveInput(data=request.data)
        body.is_valid(raise_exception=True)
        charge = getattr(appointment, "charge", None)
        if charge is None:
            raise PaymentRefused("This appointment has no fee to waive.")
        services.fee_waive(
            charge=charge,
            by=request.user,
            reason=body.validated_data["reason"],
            origin=Origin.of(request, via=audit.API, clinic=appointment.clinic_id),
        )
        return Response(account_data(appointment))
