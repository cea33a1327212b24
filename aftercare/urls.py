from django.urls import path

from aftercare import views

app_name = "aftercare"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
