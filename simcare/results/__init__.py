"""The result-folder format: prepare and clear a folder, write atomically, the manifest, read."""
