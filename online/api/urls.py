"""The public endpoints of version 1 of the API (config/urls.py mounts them under /api/v1/,
beside the staff endpoints of workspace/api/urls.py), and the client's sign-in by code for
programs (django-allauth's headless API, mounted under /_allauth/)."""

from allauth.headless.account import views as headless
from allauth.headless.base import views as headless_base
from allauth.headless.constants import Client as HeadlessClient
from django.urls import path

from online.api import forms, me, stripe_webhook, views, waitlist

urlpatterns = [
    path("auth/token/", views.TokenApi.as_view(), name="token"),
    path("treatments/", views.TreatmentListApi.as_view(), name="treatments"),
    path("practitioners/", views.PractitionerListApi.as_view(), name="practitioners"),
    path("availability/", views.AvailabilityApi.as_view(), name="availability"),
    path("me/appointments/", me.MyAppointmentsApi.as_view(), name="me-appointments"),
    path(
        "payments/stripe/webhook/",
        stripe_webhook.StripeWebhookApi.as_view(),
        name="stripe-webhook",
    ),
    path("me/courses/", me.MyCoursesApi.as_view(), name="me-courses"),
    path("me/sms/", me.MySmsApi.as_view(), name="me-sms"),
    path("me/waitlist/", waitlist.MyWaitlistApi.as_view(), name="me-waitlist"),
    path(
        "me/waitlist/<int:entry_id>/",
        waitlist.MyWaitlistEntryApi.as_view(),
        name="me-waitlist-entry",
    ),
    path(
        "me/waitlist/offers/<int:offer_id>/accept/",
        waitlist.OfferAcceptApi.as_view(),
        name="me-offer-accept",
    ),
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
    path(
        "appointments/<str:reference>/forms/",
        forms.AppointmentFormsApi.as_view(),
        name="appointment-forms",
    ),
    path(
        "appointments/<str:reference>/forms/<int:version_id>/sign/",
        forms.AppointmentFormSignApi.as_view(),
        name="appointment-form-sign",
    ),
]

# Under /_allauth/: a client signs in by code from a program, through allauth's headless API
# for apps (its paths and shapes, as allauth documents them; docs/api.md says how). Only
# these of its endpoints are mounted: asking for a code, confirming it, and the session
# (read it, or DELETE to sign out). No password login, sign-up, password reset, or email and
# phone management: a client's address is the one they booked with, and adding another to
# their login would let it sign in as the owner of that address.
APP = HeadlessClient.APP
client_auth_patterns = [
    path("app/v1/config", headless_base.ConfigView.as_api_view(client=APP), name="client-config"),
    path(
        "app/v1/auth/code/request",
        headless.RequestLoginCodeView.as_api_view(client=APP),
        name="client-code-request",
    ),
    path(
        "app/v1/auth/code/confirm",
        headless.ConfirmLoginCodeView.as_api_view(client=APP),
        name="client-code-confirm",
    ),
    path(
        "app/v1/auth/session", headless.SessionView.as_api_view(client=APP), name="client-session"
    ),
]
