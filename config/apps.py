"""Django's admin app, with the project's admin site (backoffice/site.py) as its default
site: `admin.site` and every `@admin.register` are that site."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "backoffice.site.Site"
