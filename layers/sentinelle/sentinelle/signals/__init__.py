"""Pure signal functions shared by detectors: lookalike domains, names, identifiers."""
