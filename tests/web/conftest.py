"""The workspace's cast (tests/workspace/conftest.py): mia the manager, olivia's visit..."""

from tests.workspace.conftest import cast, fast_password_hashing  # noqa: F401 (fixtures)
