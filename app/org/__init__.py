"""Regions, stores, employees and assignments: pages, imports, export."""
