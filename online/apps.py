from django.apps import AppConfig


class OnlineConfig(AppConfig):
    name = "online"
    verbose_name = "Booking pages and public API"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.signals import user_logged_in, user_logged_out
        from django.db.models.signals import pre_save

        from online.pages.visits import visit_forget
        from web.api.authentication import tokens_forget_on_password_change

        # A booking draft ends with the person who typed it (online/pages/visits.py).
        user_logged_in.connect(visit_forget, dispatch_uid="online.visit_forget.in")
        user_logged_out.connect(visit_forget, dispatch_uid="online.visit_forget.out")
        # A password change ends the user's API tokens (web/api/authentication.py).
        pre_save.connect(
            tokens_forget_on_password_change,
            sender=get_user_model(),
            dispatch_uid="web.api.tokens_forget_on_password_change",
        )
