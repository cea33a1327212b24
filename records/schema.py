"""Device settings as data: which fields a treatment's record asks for, and the check of
what a practitioner typed against them. Pure: plain lists and dicts in, values or errors out.

A field: {"name": "intensity_start", "label": "Intensity at start", "type": "integer",
"unit": "µA", "min": 0, "max": 600, "required": true}. Types: integer, decimal, choice
(with "choices", a list of strings or numbers), text (with an optional "max_length").
"""

import re
from decimal import Decimal, InvalidOperation

TYPES = ("integer", "decimal", "choice", "text")
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}", re.ASCII)
TEXT_LIMIT = 200

# The fields each category's records ask for unless a DeviceSettingsSchema row says
# otherwise. Microcurrent starts low and is raised over the session, so both ends matter to
# the next visit.
DEFAULT_FIELDS: dict[str, list[dict]] = {
    "microcurrent": [
        {
            "name": "intensity_start",
            "label": "Intensity at start",
            "type": "integer",
            "unit": "µA",
            "min": 0,
            "max": 1000,
            "required": True,
        },
        {
            "name": "intensity_end",
            "label": "Intensity at end",
            "type": "integer",
            "unit": "µA",
            "min": 0,
            "max": 1000,
            "required": True,
        },
        {
            "name": "minutes",
            "label": "Minutes",
            "type": "integer",
            "unit": "min",
            "min": 1,
            "max": 120,
        },
    ],
    "light_therapy": [
        {
            "name": "wavelength",
            "label": "Wavelength",
            "type": "choice",
            "unit": "nm",
            "choices": [415, 633, 830],
            "required": True,
        },
        {
            "name": "minutes",
            "label": "Minutes",
            "type": "integer",
            "unit": "min",
            "min": 1,
            "max": 60,
            "required": True,
        },
    ],
}


class SchemaError(ValueError):
    """A schema (the list of fields) that cannot be used, with what is wrong."""


def _number(value, kind: str):
    if isinstance(value, bool):
        raise ValueError
    if kind == "integer":
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if not re.fullmatch(r"[+-]?\d{1,9}", text):
            raise ValueError
        return int(text)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError from None
    if not number.is_finite() or abs(number) >= 10**9:
        raise ValueError
    return number


def check_schema(fields) -> list[dict]:
    """The fields, if they can be used; SchemaError naming the first problem otherwise."""
    if not isinstance(fields, list):
        raise SchemaError("The device settings must be a list of fields.")
    seen = set()
    for position, field in enumerate(fields, 1):
        where = f"Field {position}"
        if not isinstance(field, dict):
            raise SchemaError(f"{where} must be an object.")
        name = field.get("name")
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise SchemaError(f"{where}: name must be lower-case letters, digits and _.")
        if name in seen:
            raise SchemaError(f"{where}: {name} appears twice.")
        seen.add(name)
        if field.get("type") not in TYPES:
            raise SchemaError(f"{where} ({name}): type must be one of {', '.join(TYPES)}.")
        if not isinstance(field.get("label", name), str):
            raise SchemaError(f"{where} ({name}): label must be text.")
        if field["type"] in ("integer", "decimal"):
            try:
                low = _number(field["min"], field["type"]) if "min" in field else None
                high = _number(field["max"], field["type"]) if "max" in field else None
            except ValueError:
                raise SchemaError(f"{where} ({name}): min and max must be numbers.") from None
            if low is not None and high is not None and low > high:
                raise SchemaError(f"{where} ({name}): min is above max.")
        if field["type"] == "choice":
            choices = field.get("choices")
            if not isinstance(choices, list) or not choices:
                raise SchemaError(f"{where} ({name}): a choice needs a list of choices.")
    return fields


def _label(field: dict) -> str:
    return field.get("label") or field["name"]


def _unit(field: dict) -> str:
    return f" {field['unit']}" if field.get("unit") else ""


def clean_settings(fields: list[dict], raw: dict) -> tuple[dict, dict[str, str]]:
    """(values, errors) for what was typed (`raw`: name -> text or number) against the
    fields: values as JSON-ready numbers and strings; errors by field name, in words. A
    name the schema does not have is an error too (under "__all__")."""
    values, errors = {}, {}
    unknown = sorted(set(raw) - {f["name"] for f in fields})
    if unknown:
        errors["__all__"] = f"Not a setting of this treatment: {', '.join(unknown)}."
    for field in fields:
        name, label = field["name"], _label(field)
        value = raw.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if field.get("required"):
                errors[name] = f"{label} is required."
            continue
        kind = field["type"]
        if kind in ("integer", "decimal"):
            try:
                number = _number(value, kind)
            except ValueError:
                errors[name] = f"{label} must be a {'whole ' if kind == 'integer' else ''}number."
                continue
            low, high = field.get("min"), field.get("max")
            if low is not None and number < _number(low, kind):
                errors[name] = f"{label} must be at least {low}{_unit(field)}."
            elif high is not None and number > _number(high, kind):
                errors[name] = f"{label} must be at most {high}{_unit(field)}."
            else:
                values[name] = number if kind == "integer" else str(number)
        elif kind == "choice":
            by_text = {str(choice): choice for choice in field["choices"]}
            if str(value).strip() not in by_text:
                errors[name] = f"{label} must be one of {', '.join(by_text)}{_unit(field)}."
            else:
                values[name] = by_text[str(value).strip()]
        else:
            text = str(value).strip()
            limit = field.get("max_length", TEXT_LIMIT)
            if len(text) > limit:
                errors[name] = f"{label} must be at most {limit} characters."
            else:
                values[name] = text
    return values, errors


def describe(fields: list[dict], values: dict) -> list[str]:
    """The settings in words, in the schema's order: ["Intensity at start: 100 µA", ...];
    a stored value whose field is gone is still shown, by its name."""
    known = {f["name"] for f in fields}
    lines = [f"{_label(f)}: {values[f['name']]}{_unit(f)}" for f in fields if f["name"] in values]
    lines += [f"{name}: {value}" for name, value in values.items() if name not in known]
    return lines
