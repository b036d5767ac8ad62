// Tests for CaloSimulation are added with the module's code.
