"""Forces: the tenants of Exhibit, their settings and the plugins each one enables."""
