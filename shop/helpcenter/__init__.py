"""The help center: the editable YAML files in this directory and their ChromaDB index (``store``)."""
