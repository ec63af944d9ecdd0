from django.contrib import admin
from django.urls import include, path
from shop import views

urlpatterns = [
    path("api/prices/<str:sku>/", views.price),
    path("admin/", admin.site.urls),
    path("pertinax/", include("pertinax.integrations.django.urls")),
]
