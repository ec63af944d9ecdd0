"""Optional integrations. Each imports its library when it is imported itself, and says which
extra to install when the library is missing."""
