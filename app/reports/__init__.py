"""Statements (page, PDF, Excel) and payroll exports: builders that take plain data and return bytes."""
