"""The JSON API (`/api/v1`): resources for integrations, used with HR-issued tokens, documented by OpenAPI 3.1."""
