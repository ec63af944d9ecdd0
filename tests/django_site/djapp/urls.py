from django.urls import include, path

from . import views

urlpatterns = [
    path("api/flaky/<str:key>/<int:failures>/", views.flaky),
    path("api/async-flaky/<str:key>/<int:failures>/", views.async_flaky),
    path("api/async-row/<str:using>/<int:n>/", views.async_row),
    path("api/down/<str:key>/", views.down),
    path("api/not-found/<str:key>/", views.not_found),
    path("api/denied/<str:key>/", views.denied),
    path("api/bug/<str:key>/", views.bug),
    path("api/post/<str:key>/<int:failures>/", views.post_flaky),
    path("api/idempotent/<str:key>/<int:failures>/", views.put_like_post),
    path("api/write/<str:key>/<int:failures>/", views.write_then_fail),
    path("pages/flaky/<str:key>/<int:failures>/", views.flaky),
    path("login/", views.login),
    path("pertinax/", include("pertinax.integrations.django.urls")),
]
