"""The workspace's cast (tests/workspace/conftest.py): olivia, bruno and the staff personas."""

from tests.workspace.conftest import cast  # noqa: F401
