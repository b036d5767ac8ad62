// CaloFlows module: see Package.swift and ../shared/design.md for its role.
