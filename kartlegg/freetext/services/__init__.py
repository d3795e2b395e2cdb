"""The free-text app's services: codebooks, coding, suggestions, agreement and summaries."""
