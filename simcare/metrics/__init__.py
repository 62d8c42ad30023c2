"""Outcomes from a replication's records: the catalogue, the tally, the hourly series.

A replication hands over its journeys in chunks as they end (`tally.Tally`,
`series.SeriesTally`); `tally.outcomes` and `series.hourly_series` do the same for one whole
record.
"""

from simcare.metrics.catalogue import OUTCOMES, Better, Outcomes, Unit

__all__ = ["OUTCOMES", "Better", "Outcomes", "Unit"]
