"""teichaku's doors: the HTTP API (``http``), the staff's pages (``web``), the command
line (``cli``) and the demo data (``demo``); ``app.create_app`` wires them."""
