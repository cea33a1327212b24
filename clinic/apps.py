from django.apps import AppConfig
from django.db.backends.signals import connection_created


class ClinicConfig(AppConfig):
    name = "clinic"

    def ready(self):
        # Imported here, as Django asks of anything that touches models: the app registry
        # is only ready now.
        from clinic.prepared import use_generic_plans
        from clinic.search import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="clinic-sqlite")
        connection_created.connect(use_generic_plans, dispatch_uid="clinic-generic-plans")
