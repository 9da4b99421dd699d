"""The document: plain data with a versioned JSON form. Knows nothing of Qt or threads."""
