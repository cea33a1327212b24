"""The Django admin, one module per part of the product; Django's autodiscovery imports this
package, which registers them all."""

from backoffice.admin import (  # noqa: F401
    audit,
    clinic,
    clinical,
    consent,
    courses,
    diary,
    messages,
    money,
    records,
)
