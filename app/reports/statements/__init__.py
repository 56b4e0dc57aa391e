"""Bonus statements: the data a statement shows (data), gathered from a run (sources), worded (labels), and built as
HTML, PDF and Excel (html, pdf, xlsx); copies of record and bulk files (documents), rendered by a process pool (bulk).

Builders take plain data and return text or bytes; routes, jobs and CLI commands turn them into downloads and files.
"""
