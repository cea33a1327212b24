"""The schema's word on the answers web/middleware.py may give before any view runs: a 400
on every operation (a NUL in the address or the query string) and a 413 on every operation
that takes a body (one over DATA_UPLOAD_MAX_MEMORY_SIZE). A drf-spectacular postprocessing
hook (config/settings.py, SPECTACULAR_SETTINGS), so no view has to remember them. And the
view that serves the schema, generated once per process (SchemaView)."""

from typing import ClassVar

from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response

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


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, generated and rendered once per process for each version,
    language and format asked: it is the same for every caller until the next deploy (a new
    process), and generating it (every view and serializer inspected) and rendering it as
    YAML took tens of milliseconds a request (issue 16's page benchmark)."""

    _schemas: ClassVar[dict] = {}
    _rendered: ClassVar[dict] = {}

    def _key(self, request) -> tuple:
        version = self.api_version or request.version or self._get_version_parameter(request)
        return (version, translation.get_language())

    def _get_schema_response(self, request):
        key = self._key(request)
        schema = self._schemas.get(key)
        if schema is None:
            generator = self.generator_class(
                urlconf=self.urlconf, api_version=key[0], patterns=self.patterns
            )
            schema = generator.get_schema(request=request, public=self.serve_public)
            self._schemas[key] = schema
        filename = self._get_filename(request, key[0])
        return Response(
            data=schema, headers={"Content-Disposition": f'inline; filename="{filename}"'}
        )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code != 200 or not hasattr(response, "accepted_media_type"):
            return response
        version, language = self._key(request)
        key = (version, request.GET.get("lang") or language, response.accepted_media_type)
        rendered = self._rendered.get(key)
        if rendered is None:
            response.render()
            self._rendered[key] = (response.content, response["Content-Type"])
        else:
            # Setting the content marks the response rendered (SimpleTemplateResponse).
            response.content, response["Content-Type"] = rendered
        return response
