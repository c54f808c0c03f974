"""Vendor clients: the only code that knows a vendor's URLs, signing, quirks and limits."""
