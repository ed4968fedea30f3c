"""Reading and writing files: source readers, snapshot writers, atomic writes."""
