from django.urls import path

app_name = "accounting"

urlpatterns = []
