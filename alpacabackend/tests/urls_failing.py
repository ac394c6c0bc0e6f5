"""The real URLconf plus views that fail on purpose, to test the error shape of a 500."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from alpacabackend.urls import urlpatterns as real_urlpatterns


class ExplodingView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get(self, request):
        raise RuntimeError("database password is hunter2")


urlpatterns = [path("api/test/explode/", ExplodingView.as_view()), *real_urlpatterns]

handler400 = "alpacabackend.api.errors.json_400"
handler404 = "alpacabackend.api.errors.json_404"
handler500 = "alpacabackend.api.errors.json_500"
