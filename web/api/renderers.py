"""The API's JSON renderer: REST framework's, written by orjson.

REST framework writes JSON with the standard library's encoder in pure Python once a
`default` is given: about a sixth of the CPU of a 14-day availability answer (some 400
slots; bench/README.md). orjson writes the same bytes for what the API answers (strings,
numbers, lists, dicts, None and booleans), and hands everything else (dates and times,
decimals, lazy translations, querysets, sets) to REST framework's own encoder, so those
are written as REST framework writes them (a UTC datetime ends in "Z"). Like REST
framework it escapes U+2028 and U+2029, so the answer stays a strict subset of JavaScript.

Where the two would differ the renderer either takes REST framework's path or errs on the
side of an answer: an indented answer (`Accept: application/json; indent=4`, the browsable
API) and anything orjson refuses (an integer beyond 64 bits, a string with a lone
surrogate) go through REST framework's renderer unchanged; a float that is not a number
or infinite, which REST framework's strict JSON refuses with a 500, is written as null; a
float below 0.0001 may be written another way (`1e-7` and `0.00001`, where the json module
writes `1e-07` and `1e-05`: the same numbers to any JSON reader).
tests/web/test_json_renderer.py holds the two to the same bytes, or the same numbers there.
"""

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS
LINE_SEPARATOR, PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()
_encoder = JSONEncoder()


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if indent is not None or not self.compact or self.ensure_ascii:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            written = orjson.dumps(data, default=_encoder.default, option=OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if LINE_SEPARATOR in written or PARAGRAPH_SEPARATOR in written:
            written = written.replace(LINE_SEPARATOR, b"\\u2028")
            written = written.replace(PARAGRAPH_SEPARATOR, b"\\u2029")
        return written
