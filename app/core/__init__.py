"""Home page, error pages, security headers, access enforcement, formatting and demo data."""
