"""Face areas by name on the treatment record pages (workspace/templates/workspace/record.html
and _last_time.html), where a record's areas are codes.

Said in the installation's words (clinical.vocabulary.DEFAULT_VOCABULARY); a code an
organisation added itself, which has no default, is said by its code. The client pages read
the organisation's own words (clinical/terms.py) with the record.
"""

from django import template

from clinical.vocabulary import AREA, DEFAULT_VOCABULARY

register = template.Library()


@register.filter
def area_labels(areas) -> list[str]:
    """["glabella"] -> ["Glabella (frown lines)"]."""
    return DEFAULT_VOCABULARY.names(AREA, areas)
