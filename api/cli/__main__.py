"""``python -m api.cli``: the same as the ``teichaku`` command."""

from __future__ import annotations

from api.cli.main import main

raise SystemExit(main())
