from django.apps import AppConfig
from django.db.backends.signals import connection_created


class WorkspaceConfig(AppConfig):
    name = "workspace"
    verbose_name = "Staff workspace"

    def ready(self):
        from workspace.search import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="workspace-sqlite")
