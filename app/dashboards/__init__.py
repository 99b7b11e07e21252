"""Dashboards: the monthly workload, model quality, exports and the implementation report."""
