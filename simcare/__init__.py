"""simcare: a discrete-event simulator of customer service under public scrutiny."""

__version__ = "0.1.0"
