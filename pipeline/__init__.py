"""cleanse: a data-quality pipeline for Israeli loyalty-club member files."""

__version__ = "0.1.0"
