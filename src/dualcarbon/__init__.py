"""DualCarbon (双碳): open regional carbon account platform."""

__version__ = "0.1.0"
