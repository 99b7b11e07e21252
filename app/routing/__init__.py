"""Working groups and the routing table from thematic area to working group."""
