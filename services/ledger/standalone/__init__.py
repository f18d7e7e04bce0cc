"""Files shipped inside evidence bundles: ``verify_bundle.py`` runs on its own (fastavro and
cryptography only) and imports nothing from this product."""
