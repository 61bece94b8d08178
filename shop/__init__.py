"""Reference shop: catalog, customers, carts and orders behind an HTTP API (see docs/shop-api.md)."""
