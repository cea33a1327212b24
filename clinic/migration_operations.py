"""Migration operations of the project's own (in clinic/, the bottom layer, so every app's
migrations may use them)."""

from django.db import migrations
from django.db.models import Index


class DropFieldIndex(migrations.AlterField):
    """AlterField for a field whose only change is db_index=False: drops the field's lone
    index and nothing else.

    Django's AlterField drops a foreign key's constraint and adds it again for any change to
    the field, and adding it back checks every row while it locks both tables against
    writes: seconds on a clinic group's appointments (tests/test_schema_indexes.py says why
    these indexes go). The index is found as AlterField finds it (the field's column alone,
    a plain index, not one of Meta.indexes); backwards makes it again."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        column = model._meta.get_field(self.name).column
        for name in schema_editor._constraint_names(
            model,
            [column],
            index=True,
            type_=Index.suffix,
            exclude={index.name for index in model._meta.indexes},
        ):
            schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        field = model._meta.get_field(self.name)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    def describe(self):
        return f"Drop the lone index of {self.model_name}.{self.name}"
