"""flask-smorest bound to Primo: the OpenAPI 3.1 document is generated from the views and their schemas, while
Primo's own handlers answer errors (as problem+json) and its own routes serve the document and the docs page."""

from __future__ import annotations

import http

from flask import Flask
from flask_smorest import Api
from flask_smorest.spec import prepare_response

from app.api import schemas
from app.api.schemas import ProblemSchema

PROBLEM_JSON = "application/problem+json"


class PrimoApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def _register_doc_blueprint(self) -> None:
        # The document and docs page are served by app.api.docs, whose routes declare their access like any other.
        pass

    def _register_error_handlers(self) -> None:
        # app.core.web answers every error of /api/v1 as application/problem+json already.
        pass

    def _register_responses(self) -> None:
        """Document every error status as a problem document, the way Primo answers it."""
        for status in http.HTTPStatus:
            response: dict[str, object] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Error", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def init_app(app: Flask) -> None:
    """Build the API's document from the v1 blueprint and register its routes."""
    from app.api import docs, v1

    app.config.setdefault("API_TITLE", "Primo")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    api = PrimoApi(
        app,
        spec_kwargs={
            "servers": [{"url": "/"}],
            "info": {"description": "Stores, employees, survey responses, bonus runs and payroll for integrations."},
        },
    )
    api.register_field(schemas.DecimalString, "string", "decimal")
    api.spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    api.register_blueprint(v1.blp)
    app.register_blueprint(docs.bp)
    app.extensions["primo-api"] = api
