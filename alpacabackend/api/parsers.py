"""The JSON parser every endpoint uses: bounded nesting and strings, no NUL characters.

Python's `json` recurses once per nesting level, so `'[' * 100_000` raises `RecursionError`
(a 500) before any view runs; PostgreSQL refuses a NUL character in any text it stores or
compares. Both are the client's mistake and answer 400 here, before a view sees the data.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Deeper than any body the API accepts (payment details, the deepest, nest three levels).
MAX_JSON_DEPTH = 32
# Longer than any text field the API stores (notes and reasons are the longest).
MAX_JSON_STRING = 10_000


def json_depth_exceeds(data, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `data` nests containers deeper than `limit` (iterative: no recursion)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def bad_string(data) -> str | None:
    """Why a key or string in `data` is refused (a NUL character, or too long), or None."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return "strings may not contain NUL characters"
            if len(value) > MAX_JSON_STRING:
                return f"strings may not be longer than {MAX_JSON_STRING} characters"
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return None


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels."
            ) from None
        if json_depth_exceeds(data):
            raise ParseError(f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels.")
        problem = bad_string(data)
        if problem:
            raise ParseError(f"JSON parse error - {problem}.")
        return data
