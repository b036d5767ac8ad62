// Tests for CaloData are added with the module's code.
