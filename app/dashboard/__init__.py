"""The brand team's public-response dashboard.

``metrics`` holds the definitions (pure), ``upkeep`` keeps the rollups, ``queries`` reads them,
``views`` is the page. The blueprint lives in ``views`` so that importing the metrics (models
do) pulls in no Flask.
"""
