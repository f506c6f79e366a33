"""cpc: Child Protection Conference procedures as code."""

__version__ = "0.1.0"
