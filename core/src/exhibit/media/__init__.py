"""Media processing: the processor contract for metadata, previews and other derivatives."""
