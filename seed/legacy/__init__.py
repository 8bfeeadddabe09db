"""Customers' legacy exports: reading them whatever their encoding, delimiter and format.

The import pipeline (analysis, anonymization, load) builds on these readers; each row keeps its file
and line so every problem can be pointed at.
"""
