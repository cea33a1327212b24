"""The client booking pages, at the site root, and the unsubscribe page behind the link in
aftercare emails (config/urls.py mounts both)."""

from allauth.account import views as allauth_views
from django.urls import path
from django.views.generic import RedirectView

from online.pages import consent, mine, sms_replies, texts, unsubscribe, views, waitlist

app_name = "online"

# A booking's own pages: its reference and the manage token that signs it.
LINK = "booking/<str:reference>/<str:token>/"

urlpatterns = [
    path("", views.treatment_list, name="treatments"),
    # The client's own space, where signing in lands (LOGIN_REDIRECT_URL).
    path("my/", mine.my_space, name="my"),
    path("my/texts/", texts.my_texts, name="my-texts"),
    path("my/courses/<int:offer_id>/buy/", mine.course_buy_page, name="course-buy"),
    # The client's waitlist (online/pages/waitlist.py) and the emailed link to an offer.
    path("my/waitlist/", waitlist.my_waitlist, name="waitlist"),
    path("my/waitlist/<int:entry_id>/leave/", waitlist.waitlist_leave, name="waitlist-leave"),
    path("waitlist/offers/<int:offer_id>/<str:token>/", waitlist.offer, name="offer"),
    path("book/<slug:slug>/", views.treatment_calendar, name="calendar"),
    path("book/<slug:slug>/details/", views.booking_details, name="details"),
    path("book/<slug:slug>/review/", views.booking_review, name="review"),
    path("book/<slug:slug>/confirm/", views.booking_confirm, name="confirm"),
    path("book/<slug:slug>/held/", views.booking_held, name="held"),
    path("book/<slug:slug>/sorry/", views.booking_sorry, name="sorry"),
    path("book/<slug:slug>/notify-me/", views.notice_request, name="notice"),
    # The link emailed to confirm a held booking: the hold's reference and a dated token.
    path("hold/<str:reference>/<str:token>/", views.hold_confirm, name="hold"),
    path(LINK, views.booking_manage, name="manage"),
    path(f"{LINK}confirmed/", views.booking_confirmed, name="confirmed"),
    path(f"{LINK}calendar.ics", views.booking_ics, name="ics"),
    # The emailed link to pay a deposit staff asked by card (diary/deposits.py).
    path(f"{LINK}deposit/", views.booking_deposit, name="deposit"),
    path(f"{LINK}cancel/", views.booking_cancel, name="cancel"),
    path(f"{LINK}reschedule/", views.booking_reschedule, name="reschedule"),
    path(
        f"{LINK}reschedule/review/",
        views.booking_reschedule_review,
        name="reschedule-review",
    ),
    path(f"{LINK}sorry/", views.booking_change_sorry, name="change-sorry"),
    # Consent and intake forms the booking needs (online/pages/consent.py).
    path(f"{LINK}forms/", consent.forms, name="forms"),
    path(f"{LINK}forms/<int:version_id>/", consent.form_sign, name="form-sign"),
]

# Under /aftercare/, in the "aftercare" namespace: the address every email already carries.
unsubscribe_patterns = [
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe, name="unsubscribe"),
]

# Under /sms/: Twilio's webhook for replies to our texts (STOP, START).
sms_patterns = [path("twilio/inbound/", sms_replies.inbound, name="twilio-inbound")]

# Under /account/, named as django-allauth names them (its flows redirect by these names):
# a client signs in with a code sent to their email (online/accounts.py). Only these of
# allauth's pages exist: no password, no sign-up (an address with no booking is sent to the
# booking pages), no email management.
account_patterns = [
    path("sign-in/", allauth_views.RequestLoginCodeView.as_view(), name="account_login"),
    path(
        "sign-in/",
        allauth_views.RequestLoginCodeView.as_view(),
        name="account_request_login_code",
    ),
    path(
        "sign-in/code/",
        allauth_views.ConfirmLoginCodeView.as_view(),
        name="account_confirm_login_code",
    ),
    path("sign-out/", allauth_views.LogoutView.as_view(), name="account_logout"),
    path("sign-up/", RedirectView.as_view(pattern_name="online:treatments"), name="account_signup"),
    path("inactive/", RedirectView.as_view(pattern_name="account_login"), name="account_inactive"),
]
