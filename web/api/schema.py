"""The schema's word on the answers web/middleware.py may give before any view runs: a 400
on every operation (a NUL in the address or the query string) and a 413 on every operation
that takes a body (one over DATA_UPLOAD_MAX_MEMORY_SIZE). A drf-spectacular postprocessing
hook (config/settings.py, SPECTACULAR_SETTINGS), so no view has to remember them."""

METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOutput"}}},
    }


def document_input_refusals(result, generator, request, public):
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault("400", _error("Malformed input."))
            if "requestBody" in operation:
                responses.setdefault("413", _error("The body is larger than we accept."))
    return result
