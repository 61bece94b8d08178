"""A shop's catalog as data: the typed interchange format (``format``), the readers that produce it from a
shop owner's files (Shopify's product CSV, our JSON/YAML), and the loader that writes it into the shop's
database in one transaction. The seeder builds the same format, so there is one way into the database."""
