"""Charts of simcare's output folders, for slides (PNG) and the web (SVG).

`plot_folder` reads a run, compare or sweep folder (`simcare.results.read`), draws every chart
that fits it and writes each as ``plots/<name>.png`` and ``.svg``:

- compare: ``comparison`` (each policy's mean and 95% CI per key outcome, the baseline hatched),
  ``differences`` (each policy minus the baseline, paired, with its call), ``churn_by_cause``,
  ``escalation_flows``, ``complaints_over_time`` (journeys started per day, a line per policy);
- run: ``churn_by_cause``, ``escalation_flows``, ``complaints_over_time``, ``timeseries``
  (queues, unanswered public posts, impressions so far, agents on duty and busy, hour by hour);
- sweep: ``sweep_<outcome>`` (one key: the outcome against the swept value, one line per
  policy), ``heatmap_<policy>`` (two keys: one outcome over the grid), ``tradeoff`` (staff cost
  against complainant churn, the best trade-offs marked).

Each chart function takes the folder's results, read (`Results`), and returns a
`matplotlib.figure.Figure` built without pyplot (see `style`); the same results give
byte-identical files. Nothing here prints. The modules: `style` (what every chart shares),
`compare`, `breakdowns`, `waves`, `timeseries`, `sweeps`, `tradeoff`, and `folder` (which
charts fit a folder, and the files).
"""

from simcare.reports.charts.compare import comparison_chart, difference_chart
from simcare.reports.charts.folder import plot_folder, svg_text
from simcare.reports.charts.style import PlotError
from simcare.results.read import Results, Row

__all__ = [
    "PlotError",
    "Results",
    "Row",
    "comparison_chart",
    "difference_chart",
    "plot_folder",
    "svg_text",
]
