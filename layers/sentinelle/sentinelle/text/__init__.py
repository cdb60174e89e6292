"""Text normalisation and URL extraction shared by the detectors."""
