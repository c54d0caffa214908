"""Stored views: what lists, dashboards and billing read instead of folding every case.

``row`` folds one case into its stored row (through the pure projections, never a second
copy of a rule); ``store`` holds the tables; ``follower`` keeps them current from the
notification log; ``rebuild`` writes a new generation beside the live one and switches;
``office`` answers an office's questions (due list, billing check, 就労定着率) from rows.
"""
