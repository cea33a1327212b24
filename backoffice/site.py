"""The admin site: Django's, with its navigation made for less CPU.

Every admin page lists the apps and models the user may see in its navigation sidebar.
Django builds that list afresh on each page (`AdminSite.get_app_list`), reversing two
addresses through the URLconf for each of the 34 models (about two thirds of its ~6 ms),
and renders it with `admin/app_list.html` (another ~8 ms, bench/README.md "The admin's
navigation"). Here the addresses are reversed once per URLconf and script prefix and kept,
while whether the user may see, add or change each model is still asked on every page, and
the sidebar is made by backoffice/templatetags/backoffice_nav.py: the same HTML.
"""

from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.text import capfirst


class Site(admin.AdminSite):
    def __init__(self, name="admin"):
        super().__init__(name)
        self._addresses: dict[tuple, str | None] = {}

    def _address(self, name: str, **kwargs) -> str | None:
        """The reversed address of the admin's URL `name`, or None where there is none,
        kept per URLconf and script prefix (both fixed in a running site)."""
        key = (get_urlconf(), get_script_prefix(), name, tuple(kwargs.items()))
        try:
            return self._addresses[key]
        except KeyError:
            pass
        try:
            address = reverse(f"{self.name}:{name}", kwargs=kwargs or None, current_app=self.name)
        except NoReverseMatch:
            address = None
        self._addresses[key] = address
        return address

    def get_app_list(self, request, app_label=None):
        """Django's `get_app_list`, to the same dicts in the same order: the apps sorted
        by name, each one's models by name."""
        app_dict = {}
        for model, model_admin in self._registry.items():
            label = model._meta.app_label
            if app_label is not None and label != app_label:
                continue
            if not model_admin.has_module_permission(request):
                continue
            perms = model_admin.get_model_perms(request)
            if True not in perms.values():
                continue
            name = model._meta.model_name
            model_dict = {
                "model": model,
                "name": capfirst(model._meta.verbose_name_plural),
                "object_name": model._meta.object_name,
                "perms": perms,
                "admin_url": None,
                "add_url": None,
            }
            if perms.get("change") or perms.get("view"):
                model_dict["view_only"] = not perms.get("change")
                model_dict["admin_url"] = self._address(f"{label}_{name}_changelist")
            if perms.get("add"):
                model_dict["add_url"] = self._address(f"{label}_{name}_add")
            if label in app_dict:
                app_dict[label]["models"].append(model_dict)
            else:
                app_dict[label] = {
                    "name": apps.get_app_config(label).verbose_name,
                    "app_label": label,
                    "app_url": self._address("app_list", app_label=label),
                    "has_module_perms": True,
                    "models": [model_dict],
                }
        app_list = sorted(app_dict.values(), key=lambda app: app["name"].lower())
        for app in app_list:
            app["models"].sort(key=lambda model: model["name"])
        return app_list
