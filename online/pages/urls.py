"""The client booking pages, at the site root, and the unsubscribe page behind the link in
aftercare emails (config/urls.py mounts both)."""

from django.urls import path

from online.pages import unsubscribe, views

app_name = "online"

# A booking's own pages: its reference and the manage token that signs it.
LINK = "booking/<str:reference>/<str:token>/"

urlpatterns = [
    path("", views.treatment_list, name="treatments"),
    path("book/<slug:slug>/", views.treatment_calendar, name="calendar"),
    path("book/<slug:slug>/details/", views.booking_details, name="details"),
    path("book/<slug:slug>/confirm/", views.booking_confirm, name="confirm"),
    path("book/<slug:slug>/notify-me/", views.notice_request, name="notice"),
    path(LINK, views.booking_manage, name="manage"),
    path(f"{LINK}confirmed/", views.booking_confirmed, name="confirmed"),
    path(f"{LINK}calendar.ics", views.booking_ics, name="ics"),
    path(f"{LINK}cancel/", views.booking_cancel, name="cancel"),
    path(f"{LINK}reschedule/", views.booking_reschedule, name="reschedule"),
]

# Under /aftercare/, in the "aftercare" namespace: the address every email already carries.
unsubscribe_patterns = [
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
]
