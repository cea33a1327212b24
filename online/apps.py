from django.apps import AppConfig


class OnlineConfig(AppConfig):
    name = "online"
    verbose_name = "Booking pages and public API"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from online.pages.visits import visit_forget

        # A booking draft ends with the person who typed it (online/pages/visits.py).
        user_logged_in.connect(visit_forget, dispatch_uid="online.visit_forget.in")
        user_logged_out.connect(visit_forget, dispatch_uid="online.visit_forget.out")
