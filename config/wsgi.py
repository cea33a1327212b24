"""WSGI entry point for the web server (waitress in the Procfile), with an access line per
request (web/access_log.py)."""

import os

from django.core.wsgi import get_wsgi_application

from web.access_log import AccessLog

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = AccessLog(get_wsgi_application())
