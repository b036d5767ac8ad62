// CaloSimulation module: see Package.swift and ../shared/design.md for its role.
