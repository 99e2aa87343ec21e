from django.urls import URLPattern

app_name = "registry"

# registry pages are the Django admin (organisations, users, memberships) for now
urlpatterns: list[URLPattern] = []
