"""
WSGI config for alpacabackend project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alpacabackend.settings")

application = get_wsgi_application()

# Serving processes only (runserver and gunicorn load this module; management commands,
# Celery and the tests do not): with no broker, this process runs the beat schedule.
from alpacabackend.scheduler import embedded_schedule_start  # noqa: E402

embedded_schedule_start()
