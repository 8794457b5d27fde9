"""Everything that reads the world: inventories (YAML and tables), importers, the Azure catalogue, synthetic estates."""
