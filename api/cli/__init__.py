"""The command line door (``teichaku``): one module per command group, ``main`` parses."""
