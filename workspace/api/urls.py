"""The staff endpoints of version 1 of the API, mounted under /api/v1/ by config/urls.py.

`appointments/` is shared: its GET is the staff's day list and its POST the public booking
(AppointmentCollectionApi extends the public API's booking view)."""

from django.urls import path

from workspace.api import payments, views

urlpatterns = [
    path("appointments/", views.AppointmentCollectionApi.as_view(), name="appointments"),
    path(
        "appointments/<str:reference>/complete/",
        views.AppointmentCompleteApi.as_view(),
        name="appointment-complete",
    ),
    path(
        "appointments/<str:reference>/no-show/",
        views.AppointmentNoShowApi.as_view(),
        name="appointment-no-show",
    ),
    path(
        "appointments/<str:reference>/sign-off/",
        views.AppointmentSignOffApi.as_view(),
        name="appointment-sign-off",
    ),
    path(
        "appointments/<str:reference>/payments/",
        payments.AppointmentPaymentsApi.as_view(),
        name="appointment-payments",
    ),
    path(
        "appointments/<str:reference>/fee/waive/",
        payments.FeeWaiveApi.as_view(),
        name="appointment-fee-waive",
    ),
    path("clients/", views.ClientListApi.as_view(), name="clients"),
    path(
        "clients/<int:client_id>/injectables/",
        views.ClientInjectablesApi.as_view(),
        name="client-injectables",
    ),
    path(
        "clients/<int:client_id>/treatment-records/",
        views.ClientTreatmentRecordsApi.as_view(),
        name="client-treatment-records",
    ),
    path(
        "clients/<int:client_id>/declarations/",
        views.ClientDeclarationsApi.as_view(),
        name="client-declarations",
    ),
    path("clients/<int:client_id>/sms/", views.ClientSmsApi.as_view(), name="client-sms"),
    path(
        "clients/<int:client_id>/eligibility/",
        views.ClientEligibilityApi.as_view(),
        name="client-eligibility",
    ),
]
