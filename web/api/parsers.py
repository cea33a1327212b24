"""The API's JSON parser: DRF's, plus a clean 400 for JSON nested too deeply to parse.

Python's json module raises RecursionError (not ValueError) on very deep nesting, which DRF
does not turn into a ParseError; without this a hostile body would be a 500.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
