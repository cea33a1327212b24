"""The client booking pages, at the site root (clinic/urls.py includes them)."""

from django.urls import path

from bookings import views

app_name = "bookings"

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
