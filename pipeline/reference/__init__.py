"""Reference data shipped with the package, each file stating its source and licence."""
