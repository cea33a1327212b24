"""The public endpoints of version 1 of the API (config/urls.py mounts them under /api/v1/,
beside the staff endpoints of workspace/api/urls.py)."""

from django.urls import path

from online.api import views

urlpatterns = [
    path("auth/token/", views.TokenApi.as_view(), name="token"),
    path("treatments/", views.TreatmentListApi.as_view(), name="treatments"),
    path("practitioners/", views.PractitionerListApi.as_view(), name="practitioners"),
    path("availability/", views.AvailabilityApi.as_view(), name="availability"),
    path("appointments/<str:reference>/", views.AppointmentDetailApi.as_view(), name="appointment"),
    path(
        "appointments/<str:reference>/cancel/",
        views.AppointmentCancelApi.as_view(),
        name="appointment-cancel",
    ),
    path(
        "appointments/<str:reference>/reschedule/",
        views.AppointmentRescheduleApi.as_view(),
        name="appointment-reschedule",
    ),
]
