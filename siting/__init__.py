"""The analyses: plain vectorised functions over layers returning result frames.

Subpackages: ``solar`` (rooftop PV), ``wind`` (wind siting), ``waste`` (routing and
facility siting), ``progress`` (plan bases and indicators).  Imports ``geo`` and ``layers``.
"""
