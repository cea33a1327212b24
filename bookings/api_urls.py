"""URLs under /api/: version 1 of the booking API, the OpenAPI schema and its docs."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from bookings import apis, staff_apis

v1 = [
    path("auth/token/", apis.TokenApi.as_view(), name="token"),
    path("treatments/", apis.TreatmentListApi.as_view(), name="treatments"),
    path("practitioners/", apis.PractitionerListApi.as_view(), name="practitioners"),
    path("availability/", apis.AvailabilityApi.as_view(), name="availability"),
    path("appointments/", staff_apis.AppointmentCollectionApi.as_view(), name="appointments"),
    path("appointments/<str:reference>/", apis.AppointmentDetailApi.as_view(), name="appointment"),
    path(
        "appointments/<str:reference>/cancel/",
        apis.AppointmentCancelApi.as_view(),
        name="appointment-cancel",
    ),
    path(
        "appointments/<str:reference>/reschedule/",
        apis.AppointmentRescheduleApi.as_view(),
        name="appointment-reschedule",
    ),
    path(
        "appointments/<str:reference>/complete/",
        apis.AppointmentCompleteApi.as_view(),
        name="appointment-complete",
    ),
    path(
        "appointments/<str:reference>/no-show/",
        apis.AppointmentNoShowApi.as_view(),
        name="appointment-no-show",
    ),
    path("clients/", staff_apis.ClientListApi.as_view(), name="clients"),
    path(
        "clients/<int:client_id>/injectables/",
        staff_apis.ClientInjectablesApi.as_view(),
        name="client-injectables",
    ),
    path(
        "clients/<int:client_id>/declarations/",
        staff_apis.ClientDeclarationsApi.as_view(),
        name="client-declarations",
    ),
    path(
        "clients/<int:client_id>/eligibility/",
        staff_apis.ClientEligibilityApi.as_view(),
        name="client-eligibility",
    ),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file, so the page needs no inline
    # script and runs under the Content-Security-Policy.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    *[path(f"v1/{p.pattern}", p.callback, name=p.name) for p in v1],
]
