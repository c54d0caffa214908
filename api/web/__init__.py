"""The staff's web pages door: server-rendered Japanese pages, forms, sessions, chart.

Built on the HTTP door's auth and dependencies (never on the command line).
"""
