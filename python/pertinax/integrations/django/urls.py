"""``path("pertinax/", include("pertinax.integrations.django.urls"))``: the staff dashboard."""

from django.urls import path

from . import views

app_name = "pertinax"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("data.json", views.dashboard_json, name="dashboard-json"),
]
