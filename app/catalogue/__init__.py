"""The resolution, its paragraphs, thematic areas, working groups and Member States."""
