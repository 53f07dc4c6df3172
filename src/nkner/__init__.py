"""nkner: an annotated corpus and entity/fact extractor for reports on North Korean refugees."""
__version__ = "0.1.0"
