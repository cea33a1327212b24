"""The staff workspace, under /staff/."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from workspace.views import (
    booking,
    clients,
    consent,
    courses,
    desk,
    diary,
    grid,
    manager,
    outbox,
    payments,
    problems,
    records,
    signoff,
    waitlist,
)

app_name = "workspace"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="workspace/login.html",
            redirect_authenticated_user=True,
            next_page=reverse_lazy("workspace:home"),
        ),
        name="login",
    ),
    path(
        "logout/",
        auth_views.LogoutView.as_view(next_page=reverse_lazy("workspace:login")),
        name="logout",
    ),
    # The diary (the front desk's home) and what is done from it.
    path("", grid.diary, name="home"),
    path("clients/", clients.client_lookup, name="client-lookup"),
    path("diary/book/", grid.book_here, name="grid-book"),
    path("diary/block/", grid.block, name="grid-block"),
    path("appointments/<str:reference>/move/", grid.move, name="grid-move"),
    path("clients/<int:client_id>/", clients.client_detail, name="client"),
    path(
        "clients/<int:client_id>/injectables/new/",
        clients.injectable_new,
        name="injectable-new",
    ),
    path("clients/<int:client_id>/book/", booking.book, name="book"),
    path("clients/<int:client_id>/courses/sell/", courses.sell, name="course-sell"),
    path("clients/<int:client_id>/courses/<int:course_id>/paid/", courses.paid, name="course-paid"),
    path("clients/<int:client_id>/export.json", manager.export, name="export"),
    path("clients/<int:client_id>/anonymise/", manager.anonymise, name="anonymise"),
    path("appointments/<str:reference>/reschedule/", booking.reschedule, name="reschedule"),
    path(
        "appointments/<str:reference>/complete/",
        diary.attendance,
        {"outcome": "complete"},
        name="complete",
    ),
    path(
        "appointments/<str:reference>/no-show/",
        diary.attendance,
        {"outcome": "no-show"},
        name="no-show",
    ),
    path("sheet/", diary.sheet, name="sheet"),
    path("rules/", manager.rules, name="rules"),
    path("audit/", manager.audit_trail, name="audit"),
    # The front desk's actions (workspace/views/desk.py) and the outbox.
    path("clients/new/", desk.client_new, name="client-new"),
    path("clients/<int:client_id>/notes/", desk.client_notes, name="client-notes"),
    path("clients/<int:client_id>/merge/", desk.merge, name="merge"),
    path("appointments/<str:reference>/cancel/", desk.cancel, name="cancel"),
    path("appointments/<str:reference>/notes/", desk.appointment_notes, name="appointment-notes"),
    path("outbox/", outbox.outbox, name="outbox"),
    path("waitlist/", waitlist.waitlist, name="waitlist"),
    path("waitlist/<int:entry_id>/remove/", waitlist.remove, name="waitlist-remove"),
    path("outbox/<int:message_id>/retry/", outbox.retry, name="outbox-retry"),
    path("appointments/<str:reference>/sign-off/", signoff.sign_off, name="sign-off"),
    # Consent and intake forms (workspace/views/consent.py): the tablet, a signed form.
    path(
        "appointments/<str:reference>/forms/",
        consent.appointment_forms,
        name="appointment-forms",
    ),
    path(
        "appointments/<str:reference>/forms/<int:version_id>/",
        consent.form_sign,
        name="form-sign",
    ),
    path("forms/<int:submission_id>/", consent.submission_detail, name="submission"),
    path("forms/<int:submission_id>/pdf/", consent.submission_pdf, name="submission-pdf"),
    # Money at the desk (workspace/views/payments.py).
    path("appointments/<str:reference>/payments/", payments.payments, name="payments"),
    path("appointments/<str:reference>/fee/waive/", payments.waive, name="fee-waive"),
    path("payments/problems/", problems.payment_problems, name="payment-problems"),
    path("payments/problems/<int:call_id>/retry/", problems.retry, name="payment-problem-retry"),
    path(
        "payments/problems/<int:call_id>/resolve/",
        problems.resolve,
        name="payment-problem-resolve",
    ),
    # Treatment records and product recalls (workspace/views/records.py).
    path("appointments/<str:reference>/record/", records.record, name="record"),
    path("appointments/<str:reference>/photos/", records.photo_upload, name="photo-upload"),
    path(
        "appointments/<str:reference>/photo-consent/", records.photo_consent, name="photo-consent"
    ),
    path("photos/<int:photo_id>/", records.photo, name="photo"),
    path("clients/<int:client_id>/photos/", records.photo_compare, name="photo-compare"),
    path("recalls/", records.recalls, name="recalls"),
    path("recalls/<int:recall_id>/", records.recall, name="recall"),
]
