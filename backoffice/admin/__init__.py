"""The Django admin, one module per part of the product; Django's autodiscovery imports this
package, which registers them all."""

from backoffice.admin import audit, clinic, clinical, diary, messages, records  # noqa: F401
