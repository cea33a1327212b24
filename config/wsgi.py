"""WSGI entry point for the web server (waitress in the Procfile), with an access line per
request (web/access_log.py). Once the project is loaded, its long-lived objects are frozen
out of the garbage collector's full collections (web/serving.py ready_to_serve)."""

import os

from django.core.wsgi import get_wsgi_application

from web.access_log import AccessLog
from web.serving import ready_to_serve

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = AccessLog(get_wsgi_application())
ready_to_serve()  # last: everything loaded above is frozen
