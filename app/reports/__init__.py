"""Statements (page, PDF, Excel), bulk rendering on the queue, payroll exports and HR reports.

Builders take plain data and return bytes; routes and CLI commands turn them into downloads and files.
"""
