"""The Litestar application: app factory, health check, security headers, plugin routes."""
